import type { FastifyInstance } from 'fastify'
import { io as connectIo, type Socket, type SocketOptions, type ManagerOptions } from 'socket.io-client'
import t from 'tap'
import { build, publicAssistant, signUp } from './helper.js'
import { listen } from './ws-helper.js'

type Options = Partial<ManagerOptions & SocketOptions>
type Teardown = { teardown(fn: () => unknown): void }

/** A connected Socket.IO client, or the `connect_error` that refused it. */
async function open(t: Teardown, base: string, namespace: string, options: Options): Promise<Socket> {
  const socket = connectIo(`${base}${namespace}`, { transports: ['websocket'], reconnection: false, forceNew: true, ...options })
  t.teardown(() => socket.close())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (err) => reject(err))
  })
  return socket
}

async function refused(t: Teardown, base: string, namespace: string, options: Options): Promise<Error & { data?: { code?: string } }> {
  return open(t, base, namespace, options).then(
    () => {
      throw new Error('connected')
    },
    (err: Error & { data?: { code?: string } }) => err
  )
}

async function httpBase(app: FastifyInstance): Promise<string> {
  return (await listen(app)).replace('ws://', 'http://')
}

t.test('the handshake takes the bearer header or the browser sign-in cookie, checked as on HTTP', async (t) => {
  const app = await build(t, { corsOrigins: ['https://app.example'] })
  const ada = await signUp(app)
  const assistantId = await publicAssistant(app, ada)
  const base = await httpBase(app)

  // The cookie as a browser sign-in sets it, over real HTTP.
  const { token: signInToken } = app.services.browserSignIn.issueSignInToken(ada.id)
  const validated = await fetch(`${base}/api/v1/auth/validate-token?token=${encodeURIComponent(signInToken)}`)
  t.equal(validated.status, 200)
  const access = validated.headers
    .getSetCookie()
    .map((c) => /^access_token=([^;]*)/.exec(c)?.[1])
    .find(Boolean)
  t.ok(access, 'validate-token set the access_token cookie')
  const cookie = `access_token=${access}; csrf_token=whatever`

  for (const transports of [['websocket'], ['polling']]) {
    const byCookie = await open(t, base, '/assistant/realtime', { transports, extraHeaders: { cookie } })
    const room = new Promise<{ room_id: string }>((resolve) => byCookie.once('room_created', resolve))
    byCookie.emit('create_room', { assistant_id: assistantId })
    const created = await app.inject({ method: 'GET', url: `/api/v1/conversations/${(await room).room_id}`, headers: ada.auth })
    t.equal(created.json().creator_id, ada.id, `a cookie socket (${transports[0]}) acts as the signed-in user`)
  }
  await open(t, base, '/', { extraHeaders: { cookie, origin: 'https://app.example' } })
  t.pass('from a page of CORS_ORIGINS')
  await open(t, base, '/', { extraHeaders: { cookie, origin: base } })
  t.pass("from the service's own page")
  const foreign = await refused(t, base, '/assistant/realtime', { extraHeaders: { cookie, origin: 'https://evil.example' } })
  t.equal(foreign.data?.code, 'CSRF_REJECTED', "another site's page cannot use the cookie")

  // The bearer header, like HTTP routes.
  await open(t, base, '/assistant/realtime', { extraHeaders: { authorization: `Bearer ${ada.token}` } })
  t.pass('a bearer header')
  t.equal((await refused(t, base, '/', { extraHeaders: { authorization: 'Basic abc' } })).data?.code, 'UNAUTHORIZED', 'a header that is not Bearer')
  t.equal((await refused(t, base, '/', { extraHeaders: { authorization: 'Bearer garbage' } })).data?.code, 'INVALID_TOKEN')
  t.equal((await refused(t, base, '/', { extraHeaders: { cookie: 'access_token=garbage' } })).data?.code, 'INVALID_TOKEN', 'a bad cookie')
  t.equal((await refused(t, base, '/', {})).data?.code, 'UNAUTHORIZED', 'nothing at all')

  // A signed-out cookie no longer connects.
  const out = await fetch(`${base}/api/v1/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
    body: '{}'
  })
  t.equal(out.status, 204)
  t.equal((await refused(t, base, '/assistant/realtime', { extraHeaders: { cookie } })).data?.code, 'INVALID_TOKEN')
})
