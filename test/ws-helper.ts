import type { FastifyInstance } from 'fastify'
import WebSocket from 'ws'

export interface Frame {
  type: string
  [k: string]: unknown
}

/** A real WebSocket client that records every frame and lets a test wait for the ones it expects. */
export class WsClient {
  readonly frames: Frame[] = []
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = []
  private readonly taken = new Set<number>()
  readonly closed: Promise<{ code: number; reason: string }>

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Frame
      this.frames.push(f)
      const index = this.frames.length - 1
      for (const w of [...this.waiters]) {
        if (w.pred(f)) {
          clearTimeout(w.timer)
          this.waiters.splice(this.waiters.indexOf(w), 1)
          this.taken.add(index)
          w.resolve(f)
          break
        }
      }
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** The first frame not yet taken that matches; waits for it if needed. */
  next(pred: (f: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    for (const [i, frame] of this.frames.entries()) {
      if (!this.taken.has(i) && pred(frame)) {
        this.taken.add(i)
        return Promise.resolve(frame)
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer)
        reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.filter((_, i) => !this.taken.has(i))).slice(0, 500)}`))
      }, timeoutMs)
      this.waiters.push({ pred, resolve, reject, timer })
    })
  }

  type(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === type, timeoutMs)
  }

  /** Waits until `n` frames of a type have arrived in all; returns them. */
  async collect(type: string, n: number, timeoutMs = 10000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs
    while (this.frames.filter((f) => f.type === type).length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.frames.filter((f) => f.type === type).length}/${n} ${type} frames`)
      await new Promise((r) => setTimeout(r, 10))
    }
    return this.frames.filter((f) => f.type === type)
  }

  close(): void {
    this.ws.close()
  }
}

/** Listens on 127.0.0.1 port 0 (once) and returns the ws:// base. */
export async function listen(app: FastifyInstance): Promise<string> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('no address')
  return `ws://127.0.0.1:${address.port}`
}

/** Opens `/ws` (or `path`) and resolves once open. With a token, waits for `ready`. */
export async function connect(app: FastifyInstance, opts: { token?: string; query?: string; path?: string } = {}): Promise<WsClient> {
  const base = await listen(app)
  const ws = new WebSocket(`${base}${opts.path ?? '/ws'}${opts.query ?? ''}`, { headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} })
  const client = new WsClient(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
  })
  if (opts.token || opts.query?.includes('ticket=')) await client.type('ready')
  return client
}
