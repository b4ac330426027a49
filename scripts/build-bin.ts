/**
 * `npm run build:bin`: the service as one executable file, `dist/bin/assistant-backend`, made
 * with Node's single executable applications:
 *
 *  1. esbuild bundles `src/bin/main.ts` and everything it imports into one CommonJS file;
 *  2. `node --experimental-sea-config` turns it into a blob, with the files the service reads
 *     at run time as assets: the native modules (better-sqlite3, argon2, node-pty), the
 *     migrations, the playground page (with the SDK's browser bundle it imports), Swagger UI's files;
 *  3. postject injects the blob into a copy of the Node binary running this script.
 *
 * At start the executable unpacks those files into a cache folder (`src/bin/unpack.ts`) and
 * loads the native modules from there with `process.dlopen` (`src/bin/addons.ts`): the bundle
 * routes the packages' own loaders there. It needs no `node_modules` beside it. Linux only.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire, isBuiltin } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Plugin } from 'esbuild'
import { MANIFEST_ASSET, type ResourceManifest } from '../src/bin/manifest.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
export const BINARY_NAME = 'assistant-backend'

/** Project-relative path with forward slashes (the form resources and assets are named by). */
const rel = (path: string) => relative(ROOT, path).split(sep).join('/')
/** A path as a log line shows it: from the project's root when under it. */
const shown = (path: string) => (path.startsWith(ROOT) ? rel(path) : path)

/** What this machine lacks to build the executable; empty when it can. */
export function missingBuildTools(): string[] {
  const missing: string[] = []
  if (process.platform !== 'linux') missing.push(`Linux (this is ${process.platform})`)
  for (const pkg of ['esbuild', 'postject']) {
    try {
      require.resolve(`${pkg}/package.json`)
    } catch {
      missing.push(`the ${pkg} package (npm install)`)
    }
  }
  try {
    if (typeof require('node:sea').getAsset !== 'function') missing.push(`sea.getAsset (Node ≥ 20.12; this is ${process.version})`)
  } catch {
    missing.push(`node:sea (Node ≥ 20.12; this is ${process.version})`)
  }
  if (!readFileSync(process.execPath).includes(SEA_FUSE)) missing.push(`a Node binary built for single executables (${process.execPath} is not)`)
  return missing
}

/** The native module files the service loads, as each package's own loader would find them. */
function nativeModules() {
  const betterSqlite = dirname(require.resolve('better-sqlite3/package.json'))
  const bindings = createRequire(join(betterSqlite, 'package.json'))('bindings') as (o: object) => string
  const argon2 = dirname(require.resolve('argon2/package.json'))
  const gypBuild = createRequire(join(argon2, 'package.json'))('node-gyp-build') as { path(dir: string): string }
  const nodePty = dirname(require.resolve('node-pty/package.json'))
  const ptyDirs = ['build/Release', 'build/Debug', `prebuilds/${process.platform}-${process.arch}`].map((d) => join(nodePty, d))
  const ptyDir = ptyDirs.find((d) => existsSync(join(d, 'pty.node')))
  if (!ptyDir) throw new Error(`node-pty has no pty.node for ${process.platform}-${process.arch}`)
  return {
    betterSqlite: rel(bindings({ bindings: 'better_sqlite3.node', path: true, module_root: betterSqlite })),
    argon2: rel(gypBuild.path(argon2)),
    nodePtyDir: rel(ptyDir),
    nodePty: rel(join(ptyDir, 'pty.node'))
  }
}

/** Packages whose code reads files beside itself at run time: their `__dirname` points into the unpacked folder. */
const READS_OWN_FILES = ['@fastify/swagger-ui']

function filesUnder(dir: string, keep: (path: string) => boolean = () => true): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter(keep)
    .sort()
}

/** Every file the executable carries, by its path from the project's root. */
function resourceFiles(natives: ReturnType<typeof nativeModules>): string[] {
  const journal = JSON.parse(readFileSync(join(ROOT, 'drizzle/meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] }
  return [
    natives.betterSqlite,
    natives.argon2,
    natives.nodePty,
    'drizzle/meta/_journal.json',
    ...journal.entries.map((e) => `drizzle/${e.tag}.sql`),
    ...filesUnder(join(ROOT, 'public')).map(rel),
    ...READS_OWN_FILES.flatMap((pkg) => filesUnder(join(dirname(require.resolve(`${pkg}/package.json`)), 'static'), (f) => !f.endsWith('.map')).map(rel))
  ]
}

/**
 * Points the packages' native-module loaders at `loadAddon` and the `__dirname` of packages that
 * read their own files at the unpacked folder. A loader called from a package not listed here
 * fails the build rather than the executable at run time.
 */
function singleExecutablePlugin(natives: ReturnType<typeof nativeModules>, absent: Set<string>): Plugin {
  const addons = JSON.stringify(join(ROOT, 'src/bin/addons.ts'))
  const resources = JSON.stringify(join(ROOT, 'src/resources.ts'))
  const loaders: Record<string, { importer: string; addon: string }> = {
    bindings: { importer: `${sep}better-sqlite3${sep}`, addon: natives.betterSqlite },
    'node-gyp-build': { importer: `${sep}argon2${sep}`, addon: natives.argon2 }
  }
  return {
    name: 'single-executable',
    setup(build) {
      build.onResolve({ filter: /^(bindings|node-gyp-build)$/ }, (args) => {
        const loader = loaders[args.path]!
        if (!args.importer.includes(loader.importer)) {
          return { errors: [{ text: `${args.importer} loads a native module with ${args.path}; carry it in scripts/build-bin.ts` }] }
        }
        return { path: loader.addon, namespace: 'native-loader' }
      })
      build.onLoad({ filter: /.*/, namespace: 'native-loader' }, (args) => ({
        contents: `const { loadAddon } = require(${addons}); module.exports = () => loadAddon(${JSON.stringify(args.path)});`,
        resolveDir: ROOT,
        loader: 'js'
      }))
      // node-pty finds `pty.node` with its own function in lib/utils.js.
      build.onLoad({ filter: /[\\/]node-pty[\\/]lib[\\/]utils\.js$/ }, (args) => ({
        contents: `${readFileSync(args.path, 'utf8')}
exports.loadNativeModule = (name) => {
  if (name !== 'pty') throw new Error('node-pty: ' + name + '.node is not carried in this executable')
  return { dir: require(${resources}).resourcePath(${JSON.stringify(natives.nodePtyDir)}), module: require(${addons}).loadAddon(${JSON.stringify(natives.nodePty)}) }
}`,
        loader: 'js'
      }))
      // Optional modules that are not installed (ws's bufferutil, the AWS SDK's CRT signer): the
      // packages try them in a try/catch; in the executable they fail as a missing module does,
      // without Node's warning about requiring a non-built-in module.
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind !== 'require-call' || args.pluginData === 'probe' || isBuiltin(args.path)) return undefined
        const found = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'probe' })
        if (found.errors.length === 0) return undefined
        absent.add(args.path)
        return { path: args.path, namespace: 'absent-module' }
      })
      build.onLoad({ filter: /.*/, namespace: 'absent-module' }, (args) => ({
        contents: `const e = new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}); e.code = 'MODULE_NOT_FOUND'; throw e;`,
        loader: 'js'
      }))
      const ownFiles = new RegExp(`[\\\\/]node_modules[\\\\/](${READS_OWN_FILES.map((p) => p.replace(/[/]/g, '[\\\\/]')).join('|')})[\\\\/].*\\.js$`)
      build.onLoad({ filter: ownFiles }, (args) => {
        const dir = JSON.stringify(rel(dirname(args.path)))
        const source = readFileSync(args.path, 'utf8')
        const strict = /^(['"])use strict\1;?\n/.exec(source)?.[0] ?? ''
        return { contents: `${strict}var __dirname = require(${resources}).resourcePath(${dir});\n${source.slice(strict.length)}`, loader: 'js' }
      })
    }
  }
}

export interface BuildResult {
  binary: string
  bytes: number
}

/** Builds the executable into `outDir` (default `dist/bin`) and returns its path and size. */
export async function buildBinary(outDir = join(ROOT, 'dist/bin'), log: (line: string) => void = console.log): Promise<BuildResult> {
  const missing = missingBuildTools()
  if (missing.length > 0) throw new Error(`Cannot build the executable; missing: ${missing.join('; ')}`)
  const { build } = await import('esbuild')
  mkdirSync(outDir, { recursive: true })
  const natives = nativeModules()

  const bundle = join(outDir, `${BINARY_NAME}.cjs`)
  const absent = new Set<string>()
  const started = Date.now()
  await build({
    entryPoints: [join(ROOT, 'src/bin/main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    // Modules that read `import.meta.url` get the bundle's own URL (the executable's path).
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: 'var __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [singleExecutablePlugin(natives, absent)],
    legalComments: 'none',
    logLevel: 'warning',
    logOverride: { 'empty-import-meta': 'silent' }
  })
  log(
    `bundled ${shown(bundle)} (${mb(statSync(bundle).size)}) in ${Date.now() - started} ms; optional modules not installed: ${[...absent].sort().join(', ') || 'none'}`
  )

  // The service reads only its version from package.json.
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string }
  const trimmedPackage = join(outDir, 'package.json')
  writeFileSync(trimmedPackage, `${JSON.stringify({ name: pkg.name, version: pkg.version })}\n`)

  const assets: Record<string, string> = { 'package.json': trimmedPackage }
  for (const file of resourceFiles(natives)) assets[file] = join(ROOT, file)
  const hash = createHash('sha256')
  for (const [key, file] of Object.entries(assets)) hash.update(key).update('\0').update(readFileSync(file)).update('\0')
  const manifest: ResourceManifest = { id: `${pkg.version}-${hash.digest('hex').slice(0, 16)}`, files: Object.keys(assets) }
  const manifestFile = join(outDir, MANIFEST_ASSET)
  writeFileSync(manifestFile, JSON.stringify(manifest))
  assets[MANIFEST_ASSET] = manifestFile

  const blob = join(outDir, 'sea-prep.blob')
  const seaConfig = join(outDir, 'sea-config.json')
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets }, null, 2))
  run(process.execPath, ['--experimental-sea-config', seaConfig])
  log(`made the blob (${mb(statSync(blob).size)}, ${manifest.files.length} files carried)`)

  const binary = join(outDir, BINARY_NAME)
  rmSync(binary, { force: true })
  copyFileSync(process.execPath, binary)
  chmodSync(binary, 0o755)
  run(process.execPath, [require.resolve('postject/dist/cli.js'), binary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE])
  const bytes = statSync(binary).size
  log(`wrote ${shown(binary)} (${mb(bytes)}) in ${Math.round((Date.now() - started) / 1000)} s`)
  return { binary, bytes }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`)
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildBinary().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
