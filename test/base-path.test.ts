import { io as connectIo } from 'socket.io-client'
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { build, signUp } from './helper.js'
import { connect, listen } from './ws-helper.js'

t.test('BASE_PATH is read, normalized and checked', async (t) => {
  const env = { NODE_ENV: 'test' as const, JWT_SECRET: 'x'.repeat(40) }
  t.equal(loadConfig(env).basePath, '')
  t.equal(loadConfig({ ...env, BASE_PATH: '/base' }).basePath, '/base')
  t.equal(loadConfig({ ...env, BASE_PATH: '/svc/v2/' }).basePath, '/svc/v2', 'a trailing slash is dropped')
  t.equal(loadConfig({ ...env, BASE_PATH: '/' }).basePath, '', '/ is no prefix')
  t.throws(() => loadConfig({ ...env, BASE_PATH: 'base' }), /BASE_PATH/)
})

t.test('with BASE_PATH the whole service answers under it, and only there', async (t) => {
  const app = await build(t, { basePath: '/base' })
  const base = await listen(app)
  const http = base.replace('ws://', 'http://')

  // Over real HTTP.
  const health = await fetch(`${http}/base/api/v1/health`)
  t.equal(health.status, 200)
  t.equal(((await health.json()) as { status: string }).status, 'ok')
  const outside = await fetch(`${http}/api/v1/health`)
  t.equal(outside.status, 404)
  t.match(await outside.json(), { status_code: 404, error_code: 'NOT_FOUND', detail: 'Route GET /api/v1/health not found' }, "in v1's error body")
  t.equal((await fetch(`${http}/base/api/v1/nope`)).status, 404)
  t.equal((await fetch(`${http}/basement/api/v1/health`)).status, 404, 'the prefix matches whole segments')

  // Routes with auth, bodies and errors behave the same under the prefix.
  const ada = await signUp(app, 'ada@example.com').catch(() => undefined)
  t.notOk(ada, 'the unprefixed register route is not there')
  const reg = await app.inject({ method: 'POST', url: '/base/api/v1/auth/register', payload: { email: 'ada@example.com', password: 'correct horse battery' } })
  t.equal(reg.statusCode, 201)
  const login = await app.inject({ method: 'POST', url: '/base/api/v1/auth/login', payload: { email: 'ada@example.com', password: 'correct horse battery' } })
  const token = login.json().access_token as string
  t.equal((await app.inject({ method: 'GET', url: '/base/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).json().email, 'ada@example.com')
  t.equal((await app.inject({ method: 'GET', url: '/base/api/v1/auth/me' })).statusCode, 401)

  // The documents and the docs, which point clients through the prefix.
  const doc = await fetch(`${http}/base/openapi.json`)
  t.equal(doc.status, 200)
  t.same(((await doc.json()) as { servers: unknown }).servers, [{ url: '/base', description: 'The server this document is served by' }])
  t.equal((await fetch(`${http}/openapi.json`)).status, 404)
  const docs = await fetch(`${http}/base/docs/`)
  t.equal(docs.status, 200)

  // /ws and Socket.IO under the prefix.
  const ws = await connect(app, { token, path: '/base/ws' })
  t.teardown(() => ws.close())
  ws.send({ type: 'ping', request_id: 'p' })
  t.equal((await ws.type('pong')).request_id, 'p')

  const socket = connectIo(`${http}/assistant/realtime`, { path: '/base/socket.io', transports: ['websocket'], auth: { token }, reconnection: false })
  t.teardown(() => socket.close())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', reject)
  })
  t.ok(socket.connected, 'Socket.IO connects at /base/socket.io')
  const polling = await fetch(`${http}/socket.io/?EIO=4&transport=polling`)
  t.equal(polling.status, 404, 'not at /socket.io')
})
