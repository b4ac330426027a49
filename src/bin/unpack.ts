import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import { getAsset } from 'node:sea'
import { MANIFEST_ASSET, type ResourceManifest } from './manifest.js'

/**
 * Writes the files carried inside the executable (native modules, migrations, pages) into a
 * folder and returns it. The folder is `$XDG_CACHE_HOME/assistant-backend/<id>` (`~/.cache/…` by
 * default): made on a build's first start and reused by the next ones. It is written under
 * another name and renamed into place, so a folder that exists is complete. Where no cache
 * folder can be written, a private temporary folder serves this run and is removed at exit.
 */
export function unpackResources(): string {
  const manifest = JSON.parse(getAsset(MANIFEST_ASSET, 'utf8')) as ResourceManifest
  const cache = cacheFolder()
  const dir = join(cache, manifest.id)
  if (existsSync(dir)) return dir
  try {
    mkdirSync(cache, { recursive: true, mode: 0o700 })
    const partial = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}.partial`
    writeFiles(partial, manifest.files)
    try {
      renameSync(partial, dir)
    } catch (err) {
      // Another start of the same build got there first: use its copy.
      rmSync(partial, { recursive: true, force: true })
      if (!existsSync(dir)) throw err
    }
    return dir
  } catch {
    const temporary = mkdtempSync(join(tmpdir(), 'assistant-backend-'))
    process.on('exit', () => rmSync(temporary, { recursive: true, force: true }))
    writeFiles(temporary, manifest.files)
    return temporary
  }
}

function cacheFolder(): string {
  const xdg = process.env.XDG_CACHE_HOME
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'assistant-backend')
}

function writeFiles(dir: string, files: string[]): void {
  for (const file of files) {
    const target = join(dir, file)
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 })
    writeFileSync(target, new Uint8Array(getAsset(file)))
  }
}
