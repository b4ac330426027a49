/**
 * `npm run bench:http`: the service's hot HTTP paths under load, and what each request costs the
 * server in CPU. Starts `dist/server.js` (built first when stale) as a child process on 127.0.0.1
 * with a fresh DATA_DIR and rate limits off, pinned to core 0 when `taskset` exists; registers a
 * user, creates a conversation with 1,000 messages, then for each of
 *   GET /api/v1/users/me, GET /api/v1/conversations/{id}/messages?limit=50, POST …/messages
 * keeps BENCH_CONNECTIONS (50) keep-alive requests in flight for BENCH_SECONDS (10) after a
 * 3-second warm-up, and prints requests per second and server CPU per request (user + system
 * time of the server process from /proc, over the measured window). The load generator shares the
 * machine, so requests per second are the machine's as much as the server's; CPU per request is
 * the server's own and the figure to compare between builds.
 *
 * BENCH_LEGS picks legs by name (`me,history,send`, all by default). BENCH_CPU_PROF starts the
 * server with `node --cpu-prof` writing there; the profile covers the whole run, so profile one
 * leg at a time and read it with `tsx bench/profile-summary.ts <file>`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const FILLER = 'lorem ipsum dolor sit amet '.repeat(8)
const LEGS = (process.env.BENCH_LEGS ?? 'me,history,send').split(',')
const PROFILE_DIR = process.env.BENCH_CPU_PROF

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'])
    return true
  } catch {
    return false
  }
}

async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${base}/api/v1/health`)).status) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

interface Leg {
  key: string
  name: string
  method: 'GET' | 'POST'
  path: string
  body?: string
}

async function load(pool: Pool, leg: Leg, headers: Record<string, string>, seconds: number): Promise<{ ok: number; failed: number }> {
  const until = Date.now() + seconds * 1000
  let ok = 0
  let failed = 0
  const worker = async () => {
    while (Date.now() < until) {
      const res = await pool.request({ method: leg.method, path: leg.path, headers, body: leg.body })
      await res.body.dump()
      if (res.statusCode < 300) ok++
      else failed++
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  return { ok, failed }
}

execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' })
const dataDir = mkdtempSync(join(tmpdir(), 'bench-http-'))
const port = 20000 + Math.floor(Math.random() * 20000)
// The server logs as `npm start` does (LOG_LEVEL info: one access-log line per request), to a file
// as a deployment's collector would take it, not to this terminal.
const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, RATE_LIMIT_MAX: '0', RATE_LIMIT_AUTH_MAX: '0' }
const log = openSync(join(dataDir, 'server.log'), 'w')
const node = [process.execPath, ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), 'dist/server.js']
const [command, args] = hasTaskset() ? ['taskset', ['-c', '0', ...node]] : [node[0], node.slice(1)]
const child = spawn(command as string, args as string[], { cwd: ROOT, env, stdio: ['ignore', log, 'inherit'] })
const base = `http://127.0.0.1:${port}`
try {
  await waitForHealth(base, child)
  const json = { 'content-type': 'application/json' }
  const account = { email: 'bench@example.com', password: 'correct horse battery staple' }
  await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(account) })
  const login = (await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(account) })).json()) as {
    access_token: string
  }
  const auth = { authorization: `Bearer ${login.access_token}` }
  const conversation = (await (
    await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers: { ...json, ...auth }, body: JSON.stringify({ title: 'bench' }) })
  ).json()) as { id: string }
  const messages = `/api/v1/conversations/${conversation.id}/messages`
  for (let i = 0; i < 1000; i++) {
    await fetch(`${base}${messages}`, { method: 'POST', headers: { ...json, ...auth }, body: JSON.stringify({ content: `Message ${i}: ${FILLER}` }) })
  }
  const pool = new Pool(base, { connections: CONNECTIONS, pipelining: 1 })
  const legs = (
    [
      { key: 'me', name: 'GET /api/v1/users/me', method: 'GET', path: '/api/v1/users/me' },
      { key: 'history', name: 'GET …/messages?limit=50', method: 'GET', path: `${messages}?limit=50` },
      { key: 'send', name: 'POST …/messages', method: 'POST', path: messages, body: JSON.stringify({ content: `Write bench message: ${FILLER}` }) }
    ] as Leg[]
  ).filter((leg) => LEGS.includes(leg.key))
  console.log(`${CONNECTIONS} connections, ${SECONDS} s per path after a 3-s warm-up`)
  console.log('| path | req/s | server CPU per request |\n| --- | ---: | ---: |')
  for (const leg of legs) {
    const headers = leg.body ? { ...auth, ...json } : auth
    await load(pool, leg, headers, 3)
    const cpu0 = cpuSeconds(child.pid!)
    const { ok, failed } = await load(pool, leg, headers, SECONDS)
    const cpu = cpuSeconds(child.pid!) - cpu0
    if (failed) console.warn(`${leg.name}: ${failed} answers were not 2xx`)
    console.log(`| ${leg.name} | ${Math.round(ok / SECONDS).toLocaleString('en')} | ${Math.round((cpu / ok) * 1e6)} µs |`)
  }
  await pool.close()
} finally {
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  rmSync(dataDir, { recursive: true, force: true })
}
