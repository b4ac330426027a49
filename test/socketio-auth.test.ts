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

/** What happens to a socket next: the `error` event it got (if any), then its disconnection, or that it stayed. */
function fate(socket: Socket, ms = 3000): Promise<{ error?: { code: string; message: string }; disconnect?: string }> {
  return new Promise((resolve) => {
    let error: { code: string; message: string } | undefined
    socket.on('error', (e: { code: string; message: string }) => {
      error = e
    })
    const timer = setTimeout(() => resolve({ error }), ms)
    socket.once('disconnect', (reason) => {
      clearTimeout(timer)
      resolve({ error, disconnect: reason })
    })
  })
}

/** Whether the socket is still served: it can create a room and hears back. */
async function served(socket: Socket, assistantId: string): Promise<boolean> {
  const answer = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 3000)
    socket.once('room_created', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
  socket.emit('create_room', { assistant_id: assistantId })
  return answer
}

async function login(app: FastifyInstance, email: string, password = 'correct horse battery') {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json() as { access_token: string; refresh_token: string }
}

async function httpBase(app: FastifyInstance): Promise<string> {
  return (await listen(app)).replace('ws://', 'http://')
}

t.test('a logout disconnects the Socket.IO sockets of that session, in every namespace, and only those', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const assistantId = await publicAssistant(app, ada)
  const laptop = await login(app, ada.email)
  const base = await httpBase(app)

  const sessionSockets = [await open(t, base, '/', { auth: { token: ada.token } }), await open(t, base, '/assistant/realtime', { auth: { token: ada.token } })]
  const laptopSocket = await open(t, base, '/assistant/realtime', { auth: { token: laptop.access_token } })
  const fates = sessionSockets.map((s) => fate(s))
  const laptopFate = fate(laptopSocket, 500)

  const out = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: ada.auth, payload: {} })
  t.equal(out.statusCode, 204)
  for (const [i, f] of (await Promise.all(fates)).entries()) {
    t.match(f, { error: { code: 'CREDENTIALS_REVOKED', message: /revoked/ }, disconnect: 'io server disconnect' }, `socket ${i}: told why, then disconnected`)
  }
  t.same(await laptopFate, { error: undefined }, "the user's other session keeps its socket")
  t.ok(await served(laptopSocket, assistantId), 'and it is still served')
  t.equal((await refused(t, base, '/assistant/realtime', { auth: { token: ada.token } })).data?.code, 'INVALID_TOKEN', 'the revoked token cannot reconnect')
})

t.test('a deleted API key, a password change and a disabled user disconnect their Socket.IO sockets', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const bob = await signUp(app)
  const assistantId = await publicAssistant(app, admin)
  const base = await httpBase(app)

  // An API key: its sockets go, the token's stay.
  const created = (await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bob.auth, payload: { name: 'bot' } })).json()
  const keySocket = await open(t, base, '/assistant/realtime', { auth: { token: created.key } })
  const tokenSocket = await open(t, base, '/assistant/realtime', { auth: { token: bob.token } })
  const keyFate = fate(keySocket)
  const tokenFate = fate(tokenSocket, 500)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${created.id}`, headers: bob.auth })).statusCode, 204)
  t.match(await keyFate, { error: { code: 'CREDENTIALS_REVOKED' }, disconnect: 'io server disconnect' }, 'the API key socket is disconnected')
  t.same(await tokenFate, { error: undefined }, 'the access token socket stays')

  // A password change: the other sessions' sockets go, the changing session's stay.
  const phone = await login(app, bob.email)
  const phoneSocket = await open(t, base, '/', { auth: { token: phone.access_token } })
  const phoneFate = fate(phoneSocket)
  const stayFate = fate(tokenSocket, 500)
  const changed = await app.inject({
    method: 'PUT',
    url: '/api/v1/users/me',
    headers: bob.auth,
    payload: { password: 'a brand new passphrase', current_password: 'correct horse battery' }
  })
  t.equal(changed.statusCode, 200)
  t.match(await phoneFate, { error: { code: 'CREDENTIALS_REVOKED' }, disconnect: 'io server disconnect' }, "another session's socket is disconnected")
  t.same(await stayFate, { error: undefined }, "the changing session's socket stays")
  t.ok(await served(tokenSocket, assistantId))

  // Disabling the user: every socket of theirs goes, on /chat too.
  const key = (await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bob.auth, payload: { name: 'bot 2' } })).json().key
  const workspace = (await app.inject({ method: 'POST', url: '/workspace', headers: bob.auth, payload: { name: 'Live' } })).json().workspace.workspace_id
  const chat = (await app.inject({ method: 'POST', url: `/chat?workspace_id=${workspace}`, headers: bob.auth })).json().chat.chat_id
  const connection = (await app.inject({ method: 'GET', url: `/chat/authorize?chat_id=${chat}`, headers: bob.auth })).json().connection_string
  const chatSocket = await open(t, base, '/chat', { auth: { connection_string: connection } })
  const keySocket2 = await open(t, base, '/', { auth: { token: key } })
  const fates = [tokenSocket, keySocket2, chatSocket].map((s) => fate(s))
  const adminSocket = await open(t, base, '/assistant/realtime', { auth: { token: admin.token } })
  const adminFate = fate(adminSocket, 500)
  const disabled = await app.inject({ method: 'PUT', url: `/api/v1/users/${bob.id}`, headers: admin.auth, payload: { is_active: false } })
  t.equal(disabled.statusCode, 200)
  for (const [name, f] of ['token', 'API key', '/chat'].map((n, i) => [n, fates[i]!] as const)) {
    t.match(await f, { error: { code: 'CREDENTIALS_REVOKED' }, disconnect: 'io server disconnect' }, `${name} socket disconnected`)
  }
  t.same(await adminFate, { error: undefined }, "other users' sockets stay")
})

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

  // A cookie socket is a session like any other: signing out disconnects it, and the cookie no longer connects.
  const session = await open(t, base, '/assistant/realtime', { extraHeaders: { cookie } })
  const sessionFate = fate(session)
  const out = await fetch(`${base}/api/v1/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
    body: '{}'
  })
  t.equal(out.status, 204)
  t.match(await sessionFate, { error: { code: 'CREDENTIALS_REVOKED' }, disconnect: 'io server disconnect' })
  t.equal((await refused(t, base, '/assistant/realtime', { extraHeaders: { cookie } })).data?.code, 'INVALID_TOKEN')
})
