import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { io as connectIo, type Socket } from 'socket.io-client'
import type { Config } from '../src/config.js'
import { build } from './helper.js'
import { listen } from './ws-helper.js'

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies and socket payloads of every shape
type Json = any

export const KEY = 'terminal-key-for-tests'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Dispatch {
  app: FastifyInstance
  /** The workspace root: a fresh temporary folder, removed after the test. */
  root: string
  /** http://127.0.0.1:<port> of the listening app. */
  base: string
  /** A real HTTP call to the listening app: the status and the parsed JSON body. */
  call(method: string, url: string, options?: { body?: unknown; headers?: Record<string, string>; key?: boolean }): Promise<{ status: number; body: Json }>
  /** `/api/workspaces/<encoded path>` */
  workspaceUrl(path: string): string
}

/** The app with the dispatch surface on a temporary workspace root, listening on 127.0.0.1. */
export async function dispatchApp(t: Teardown, overrides: Partial<Config> = {}): Promise<Dispatch> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'dispatch-root-')))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  // /bin/sh rather than the login shell: its start does not depend on this machine's rc files.
  const app = await build(t, { terminalKey: KEY, workspacesRoot: root, dispatchShell: '/bin/sh', ...overrides })
  const base = (await listen(app)).replace('ws://', 'http://')
  const call: Dispatch['call'] = async (method, url, options = {}) => {
    const withKey = options.key === true ? `${url}${url.includes('?') ? '&' : '?'}authKey=${KEY}` : url
    const res = await fetch(`${base}${withKey}`, {
      method,
      headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }
  return { app, root, base, call, workspaceUrl: (path) => `/api/workspaces/${encodeURIComponent(path)}` }
}

/** A Socket.IO client of the `/dispatch` namespace, recording every event it hears. */
export class DispatchClient {
  readonly events: { name: string; payload: Json }[] = []
  constructor(readonly socket: Socket) {
    socket.onAny((name: string, payload: unknown) => this.events.push({ name, payload }))
  }

  /** The first event (in order, from `from`) matching, waiting for it when needed. */
  async next(name: string, pred: (payload: Json) => boolean = () => true, timeoutMs = 30_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.events.find((e) => e.name === name && pred(e.payload))
      if (found) {
        this.events.splice(this.events.indexOf(found), 1)
        return found.payload
      }
      if (Date.now() > deadline) throw new Error(`no ${name}; heard ${JSON.stringify(this.events.map((e) => e.name))}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  /** The terminal output of a session heard so far, joined, until it contains `text`. */
  async output(sessionId: string, text: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const all = this.events
        .filter((e) => e.name === 'session.output' && e.payload.sessionId === sessionId)
        .map((e) => e.payload.data as string)
        .join('')
      if (typeof text === 'string' ? all.includes(text) : text.test(all)) return all
      if (Date.now() > deadline) throw new Error(`no ${text} in the output: ${JSON.stringify(all)}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  emit(name: string, payload: unknown): Promise<Json> {
    return this.socket.timeout(30_000).emitWithAck(name, payload)
  }

  close(): void {
    this.socket.close()
  }
}

/** Connects to `/dispatch`; resolves once connected, or rejects with the `connect_error`. */
export function connectDispatch(t: Teardown, base: string, auth: Record<string, unknown>): Promise<DispatchClient> {
  const socket = connectIo(`${base}/dispatch`, { transports: ['websocket'], auth, reconnection: false })
  t.teardown(() => socket.close())
  const client = new DispatchClient(socket)
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client))
    socket.once('connect_error', reject)
  })
}

/** Whether a process exists (signal 0 checks without signalling). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}
