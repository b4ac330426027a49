import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startServerProcess } from './process-helper.js'

const root = new URL('..', import.meta.url).pathname

// What `npm start` runs: its prestart step builds dist/server.js when a source is newer.
const built = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, encoding: 'utf8' })
if (built.status !== 0) throw new Error(`scripts/build.mjs failed: ${built.stderr}`)

/**
 * Starts the server as `npm start` does (`dist/server.js`), as a real process on a free port. A
 * `.env` in the checkout is not read (ENV_FILE names one that is not there) unless a test gives
 * its own.
 */
function startServer(env: Record<string, string>) {
  return startServerProcess(process.execPath, ['dist/server.js'], {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ENV_FILE: join(tmpdir(), 'no-such-dir', '.env'), ...env }
  })
}

t.test('the server starts on an empty DATA_DIR, serves real HTTP and shuts down gracefully', async (t) => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'srv-')), 'data')
  const server = startServer({ DATA_DIR: dataDir })
  t.teardown(() => server.child.kill('SIGKILL'))
  const base = await server.url
  t.ok(existsSync(join(dataDir, 'app.db')), 'the database is created')
  await waitFor(() => /is ready/.test(server.output()))
  const banner = server.output()
  t.match(banner, new RegExp(`API\\s+${base}/api/v1`), 'the banner gives the URL')
  t.match(banner, new RegExp(`Docs\\s+${base}/docs`), 'and the docs')
  t.match(banner, new RegExp(`Data\\s+${dataDir}`), 'and the data folder')
  t.match(banner, /Model\s+offline: the built-in stand-in/, 'and which model answers')
  t.match(banner, /Surfaces\s+v1 .*\n.*chat-app.*\n.*classic.*\n.*dispatch/, 'and the surfaces served')

  const health = await fetch(`${base}/api/v1/health`)
  t.equal(health.status, 200)

  const json = { 'content-type': 'application/json' }
  const reg = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email: 'a@example.com', password: 'correct horse battery' })
  })
  t.equal(reg.status, 201)
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email: 'a@example.com', password: 'correct horse battery' })
  })
  const tokens = (await login.json()) as { access_token: string; refresh_token: string }
  const me = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(me.status, 200)
  const refreshed = await fetch(`${base}/api/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: tokens.refresh_token }) })
  t.equal(refreshed.status, 200)
  const first = (await refreshed.json()) as { access_token: string; refresh_token: string }
  // The new token is used in turn, so the first one's retry grace is over and a replay is reuse.
  const rotated = await fetch(`${base}/api/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: first.refresh_token }) })
  t.equal(rotated.status, 200)
  const next = (await rotated.json()) as { access_token: string; refresh_token: string }
  const reuse = await fetch(`${base}/api/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refresh_token: tokens.refresh_token }) })
  t.equal(reuse.status, 401, 'a reused refresh token is refused')
  const revoked = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${next.access_token}` } })
  t.equal(revoked.status, 401, 'and its family is revoked')

  const login2 = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email: 'a@example.com', password: 'correct horse battery' })
  })
  const t2 = (await login2.json()) as { access_token: string }
  const out = await fetch(`${base}/api/v1/auth/logout`, { method: 'POST', headers: { ...json, authorization: `Bearer ${t2.access_token}` }, body: '{}' })
  t.equal(out.status, 204)
  const after = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${t2.access_token}` } })
  t.equal(after.status, 401)

  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'exits cleanly on SIGTERM')
  t.match(server.output(), /shutting down/)

  // It starts again on the same data: the account and the secret survive.
  const again = startServer({ DATA_DIR: dataDir })
  t.teardown(() => again.child.kill('SIGKILL'))
  const base2 = await again.url
  const relogin = await fetch(`${base2}/api/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email: 'a@example.com', password: 'correct horse battery' })
  })
  t.equal(relogin.status, 200)

  // With no model keys set, an assistant answers through the offline provider.
  const auth = { ...json, authorization: `Bearer ${((await relogin.json()) as { access_token: string }).access_token}` }
  const assistant = (await (await fetch(`${base2}/api/v1/assistants`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Helper' }) })).json()) as {
    id: string
    model: string
  }
  t.equal(assistant.model, 'offline', 'offline is the default model with no keys')
  const conv = (await (
    await fetch(`${base2}/api/v1/conversations`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ assistant_id: assistant.id, initial_message: 'Hello! What can you do?' })
    })
  ).json()) as { id: string }
  let reply: { role: string; status: string; content: string } | undefined
  for (let i = 0; i < 200 && !reply; i++) {
    const page = (await (await fetch(`${base2}/api/v1/conversations/${conv.id}/messages`, { headers: auth })).json()) as {
      items: { role: string; status: string; content: string }[]
    }
    reply = page.items.find((m) => m.role === 'assistant' && m.status === 'completed')
    if (!reply) await new Promise((r) => setTimeout(r, 50))
  }
  t.ok(reply && reply.content.length > 0, 'the assistant answered')

  again.child.kill('SIGINT')
  t.equal(await again.exited, 0)
})

/** Waits until a condition holds (a few seconds at most). */
async function waitFor(check: () => boolean) {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50))
}

t.test('a .env file is read at start; the environment wins over it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'srv-'))
  const envFile = join(dir, '.env')
  // PORT in the file is not a port: the environment's PORT=0 must win, or the start fails.
  writeFileSync(envFile, `PORT=not-a-port\nDATA_DIR=${join(dir, 'from-file')}\nCORS_ORIGINS=https://from-file.example\n`)
  const server = startServer({ ENV_FILE: envFile })
  t.teardown(() => server.child.kill('SIGKILL'))
  const base = await server.url
  t.ok(existsSync(join(dir, 'from-file', 'app.db')), 'DATA_DIR came from the file')
  const preflight = await fetch(`${base}/api/v1/health`, {
    method: 'OPTIONS',
    headers: { origin: 'https://from-file.example', 'access-control-request-method': 'GET' }
  })
  t.equal(preflight.headers.get('access-control-allow-origin'), 'https://from-file.example', 'CORS_ORIGINS came from the file')
  await waitFor(() => /is ready/.test(server.output()))
  t.match(server.output(), new RegExp(`Settings\\s+${envFile} \\(2 set\\)`), 'the banner names the file')
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0)
})

t.test('a bad environment stops the start with a message naming the variable', async (t) => {
  const server = startServer({ DATA_DIR: mkdtempSync(join(tmpdir(), 'srv-')), PORT: 'eighty' })
  const code = await server.exited
  t.equal(code, 1)
  t.match(server.output(), /PORT/)
  await server.url.catch(() => {})
})

t.test('npm start runs the build: dist/server.js serves, docs and migrations included', async (t) => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'srv-')), 'data')
  const server = startServerProcess(process.execPath, ['dist/server.js'], {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir }
  })
  t.teardown(() => server.child.kill('SIGKILL'))
  const base = await server.url
  t.equal((await fetch(`${base}/api/v1/health`)).status, 200, 'the migrations ran from the project root')
  t.equal((await fetch(`${base}/docs/`)).status, 200, 'Swagger UI finds its files')
  t.equal((await fetch(`${base}/playground`)).status, 200, 'the playground finds its page')
})
