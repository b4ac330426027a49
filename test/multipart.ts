import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'

/** A streamed multipart/form-data request with files in one field, ready to spread into `inject`. */
export function multipartFiles(auth: Record<string, string>, files: { name: string; bytes: Iterable<Buffer> | Buffer }[], field = 'files') {
  const boundary = `----test${Math.random().toString(16).slice(2)}`
  function* body() {
    for (const f of files) {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`
      )
      if (Buffer.isBuffer(f.bytes)) yield f.bytes
      else yield* f.bytes
      yield Buffer.from('\r\n')
    }
    yield Buffer.from(`--${boundary}--\r\n`)
  }
  return { payload: Readable.from(body()), headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** The files under DATA_DIR/files (blobs and any temporary file), relative to it. */
export function storedFiles(dataDir: string): string[] {
  const root = join(dataDir, 'files')
  const out: string[] = []
  const walk = (dir: string) => {
    let names: string[] = []
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const n of names) {
      const p = join(dir, n)
      if (statSync(p).isDirectory()) walk(p)
      else out.push(p.slice(root.length + 1))
    }
  }
  walk(root)
  return out
}
