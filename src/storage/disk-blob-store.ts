import { randomUUID } from 'node:crypto'
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { type FileHandle, mkdir, open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import type { BlobStore, BlobWriter } from '../domain/files.js'

const SHA256 = /^[0-9a-f]{64}$/

/**
 * Content-addressed blobs on disk: `<root>/<sha256[0:2]>/<sha256>`. A blob is written to
 * `<root>/tmp/` first and renamed into place only when complete, so a failed or refused upload
 * leaves nothing behind and a reader never sees half a file. Equal bytes are stored once.
 */
export class DiskBlobStore implements BlobStore {
  private readonly tmp: string

  constructor(private readonly root: string) {
    this.tmp = join(root, 'tmp')
    this.sweepTemp(3600_000)
  }

  async createWriter(): Promise<BlobWriter> {
    await mkdir(this.tmp, { recursive: true })
    const path = join(this.tmp, `${randomUUID()}.part`)
    const fh: FileHandle = await open(path, 'wx', 0o600)
    let open_ = true
    let done = false
    const close = async () => {
      if (open_) {
        open_ = false
        await fh.close()
      }
    }
    return {
      write: async (chunk) => {
        await fh.write(chunk)
      },
      finish: async () => {
        await fh.sync()
        await close()
      },
      commit: (sha256) => {
        if (!SHA256.test(sha256)) throw new Error('not a sha256')
        if (open_) throw new Error('finish() the writer before commit()')
        const dest = this.pathOf(sha256)
        mkdirSync(dirname(dest), { recursive: true })
        if (existsSync(dest)) unlinkSync(path)
        else renameSync(path, dest)
        done = true
      },
      abort: async () => {
        if (done) return
        done = true
        await close().catch(() => {})
        rmSync(path, { force: true })
      }
    }
  }

  open(sha256: string): Readable {
    return createReadStream(this.pathOf(sha256))
  }

  has(sha256: string): boolean {
    return existsSync(this.pathOf(sha256))
  }

  remove(sha256: string): void {
    rmSync(this.pathOf(sha256), { force: true })
  }

  /** Removes the whole store (for stores made for one in-process app). */
  destroy(): void {
    rmSync(this.root, { recursive: true, force: true })
  }

  private pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('not a sha256')
    return join(this.root, sha256.slice(0, 2), sha256)
  }

  /** Deletes temporary files older than `ageMs`: uploads cut off by a crash. */
  private sweepTemp(ageMs: number): void {
    if (!existsSync(this.tmp)) return
    const now = Date.now()
    for (const name of readdirSync(this.tmp)) {
      const p = join(this.tmp, name)
      try {
        if (now - statSync(p).mtimeMs > ageMs) rmSync(p, { force: true })
      } catch {
        // gone already
      }
    }
  }
}
