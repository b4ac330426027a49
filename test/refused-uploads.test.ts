import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

/** fetch's error with its cause (EPIPE, ECONNRESET, ...), or the answer's status. */
async function outcome(run: () => Promise<Response>): Promise<string | number> {
  try {
    const res = await run()
    await res.text()
    return res.status
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    return `${(err as Error).message}: ${cause?.code ?? cause?.message ?? ''}`
  }
}

/** The real server in a process of its own (in-process, client and server share one event loop and hide the race). */
async function startServer(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'refused-uploads-'))
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      RATE_LIMIT_MAX: '0',
      RATE_LIMIT_AUTH_MAX: '0',
      NODE_ENV: 'test'
    },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(async () => {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    rmSync(dataDir, { recursive: true, force: true })
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (c) => {
      out += c.toString()
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)))
  })
}

t.test('a refused upload or an oversized JSON body reaches a fetch client as its answer', async (t) => {
  const base = await startServer(t)
  const account = { email: 'refused@example.com', password: 'correct horse battery' }
  const json = { 'content-type': 'application/json' }
  t.equal((await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(account) })).status, 201)
  const login = (await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(account) })).json()) as {
    access_token: string
  }
  const auth = { authorization: `Bearer ${login.access_token}` }
  const tries = 20
  const seen: Record<string, (string | number)[]> = { exe: [], png: [], json: [] }
  for (let i = 0; i < tries; i++) {
    const size = (1 + (i % 3)) * 1024 * 1024
    const exe = new FormData()
    exe.append('file', new Blob([Buffer.alloc(size, 0x4d)]), 'setup.exe')
    seen.exe!.push(await outcome(() => fetch(`${base}/api/v1/files/upload`, { method: 'POST', headers: auth, body: exe })))
    const png = new FormData()
    png.append('file', new Blob([Buffer.alloc(size, 0x41)]), 'photo.png')
    seen.png!.push(await outcome(() => fetch(`${base}/api/v1/files/upload`, { method: 'POST', headers: auth, body: png })))
    const body = JSON.stringify({ email: 'x'.repeat(size), password: 'y' })
    seen.json!.push(await outcome(() => fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: json, body })))
  }
  t.same(seen.exe, Array(tries).fill(415), 'every .exe upload is answered 415')
  t.same(seen.png, Array(tries).fill(415), 'every fake .png is answered 415')
  t.same(seen.json, Array(tries).fill(413), 'every oversized JSON body is answered 413')
})
