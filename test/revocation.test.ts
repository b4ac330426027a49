import { createHmac } from 'node:crypto'
import { eq } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { CloseCodes } from '../schemas/frames.js'
import { refreshTokens } from '../src/db/schema.js'
import { REFRESH_REUSE_GRACE_MS } from '../src/domain/auth.js'
import { type Account, build, signUp, v1Error } from './helper.js'
import { connect, type WsClient } from './ws-helper.js'

type App = Awaited<ReturnType<typeof build>>

async function conversationWith(app: App, owner: Account, others: string[] = []): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: owner.auth, payload: { participant_ids: others } })
  return res.json().id
}

async function login(app: App, email: string, password = 'correct horse battery') {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json() as { access_token: string; refresh_token: string }
}

/** A socket subscribed to a conversation, so a test can see it is no longer served. */
async function subscribed(app: App, token: string, conversationId: string): Promise<WsClient> {
  const ws = await connect(app, { token })
  ws.send({ type: 'subscribe', conversation_id: conversationId })
  await ws.type('subscribed')
  return ws
}

/** The socket's close, or null when it is still open after `ms` (the timer does not outlive the answer). */
async function closedWithin(ws: WsClient, ms: number): Promise<{ code: number; reason: string } | null> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms)
  })
  try {
    return await Promise.race([ws.closed, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Revoking closes the socket at once with 4403, and nothing sent on it afterwards is stored. */
async function assertRevoked(t: Test, app: App, ws: WsClient, conversationId: string, owner: Account) {
  const closed = await closedWithin(ws, 3000)
  t.ok(closed, 'the socket is closed at once')
  t.equal(closed?.code, CloseCodes.REVOKED, 'with the revoked close code')
  const history = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conversationId}/messages`, headers: owner.auth })
  t.notOk(
    history.json().items.some((m: { content: string }) => m.content === 'after revocation'),
    'nothing the socket sent after the revocation was stored'
  )
}

/** A user signed in twice (two sessions), each with a socket subscribed to the same conversation. */
async function twoSessions(t: Test) {
  const app = await build(t)
  const ada = await signUp(app)
  const other = await login(app, ada.email)
  const conv = await conversationWith(app, ada)
  const ws = await subscribed(app, ada.token, conv)
  const otherWs = await subscribed(app, other.access_token, conv)
  return { app, ada, other, conv, ws, otherWs }
}

t.test('logout closes the sockets of that session only', async (t) => {
  const { app, ada, other, conv, ws, otherWs } = await twoSessions(t)
  t.teardown(() => otherWs.close())

  const out = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: ada.auth, payload: {} })
  t.equal(out.statusCode, 204)
  ws.send({ type: 'message.send', conversation_id: conv, content: 'after revocation', request_id: 'late' })
  const owner = { ...ada, auth: { authorization: `Bearer ${other.access_token}` } }
  await assertRevoked(t, app, ws, conv, owner)

  otherWs.send({ type: 'ping', request_id: 'p' })
  t.match(await otherWs.type('pong'), { request_id: 'p' }, "the user's other session keeps its socket")
})

t.test('a reused refresh token closes the sockets of its session', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversationWith(app, ada)
  const rotated = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: ada.refresh } })
  const pair = rotated.json()
  const ws = await subscribed(app, pair.access_token, conv)
  // The next token is used, then the first one comes back: a replay.
  await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: pair.refresh_token } })
  const replay = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: ada.refresh } })
  t.equal(replay.statusCode, 401)
  const fresh = await login(app, ada.email)
  await assertRevoked(t, app, ws, conv, { ...ada, auth: { authorization: `Bearer ${fresh.access_token}` } })
})

t.test('a password change ends every other session, and their sockets', async (t) => {
  const { app, ada, other: laptop, conv, ws: ownWs, otherWs: laptopWs } = await twoSessions(t)
  t.teardown(() => ownWs.close())

  const changed = await app.inject({
    method: 'PUT',
    url: '/api/v1/users/me',
    headers: ada.auth,
    payload: { password: 'a brand new passphrase', current_password: 'correct horse battery' }
  })
  t.equal(changed.statusCode, 200)
  laptopWs.send({ type: 'message.send', conversation_id: conv, content: 'after revocation' })
  await assertRevoked(t, app, laptopWs, conv, ada)

  const laptopMe = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${laptop.access_token}` } })
  t.equal(laptopMe.statusCode, 401, "the other session's access token stops working")
  const laptopRefresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: laptop.refresh_token } })
  t.equal(laptopRefresh.statusCode, 401, 'and its refresh token')
  const own = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: ada.auth })
  t.equal(own.statusCode, 200, 'the session that changed the password goes on')
  ownWs.send({ type: 'ping', request_id: 'p' })
  t.match(await ownWs.type('pong'), { request_id: 'p' }, 'and so does its socket')
})

t.test('disabling or deleting a user closes all their sockets, API keys and tickets included', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  for (const action of ['disable', 'delete'] as const) {
    const bob = await signUp(app)
    const conv = await conversationWith(app, admin, [bob.id])
    const key = (await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bob.auth, payload: { name: 'bot' } })).json().key
    const ticket = (await app.inject({ method: 'POST', url: '/api/v1/ws/ticket', headers: bob.auth })).json().ticket
    const sockets = [
      await subscribed(app, bob.token, conv),
      await subscribed(app, key, conv),
      await connect(app, { query: `?ticket=${encodeURIComponent(ticket)}` })
    ]
    const res =
      action === 'disable'
        ? await app.inject({ method: 'PUT', url: `/api/v1/users/${bob.id}`, headers: admin.auth, payload: { is_active: false } })
        : await app.inject({ method: 'DELETE', url: `/api/v1/users/${bob.id}`, headers: admin.auth })
    t.ok(res.statusCode === 200 || res.statusCode === 204, `${action}: ${res.statusCode}`)
    for (const ws of sockets) {
      const closed = await closedWithin(ws, 3000)
      t.equal(closed?.code, CloseCodes.REVOKED, `${action}: every socket of the user is closed with 4403`)
    }
  }
})

t.test('deleting an API key closes the sockets opened with it, and only those', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversationWith(app, ada)
  const created = (await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: ada.auth, payload: { name: 'bot' } })).json()
  const keyWs = await subscribed(app, created.key, conv)
  const tokenWs = await subscribed(app, ada.token, conv)
  t.teardown(() => tokenWs.close())
  const del = await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${created.id}`, headers: ada.auth })
  t.equal(del.statusCode, 204)
  keyWs.send({ type: 'message.send', conversation_id: conv, content: 'after revocation' })
  await assertRevoked(t, app, keyWs, conv, ada)
  tokenWs.send({ type: 'ping', request_id: 'p' })
  t.match(await tokenWs.type('pong'), { request_id: 'p' })
})

t.test('two tabs refreshing the same token at once both stay signed in; a late replay still revokes', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const [tabA, tabB] = await Promise.all([1, 2].map(() => app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: ada.refresh } })))
  t.equal(tabA!.statusCode, 200)
  t.equal(tabB!.statusCode, 200, 'the second tab is answered, not treated as a replay')
  for (const tab of [tabA!, tabB!]) {
    const pair = tab.json()
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${pair.access_token}` } })
    t.equal(me.statusCode, 200, "each tab's access token works")
  }
  const nextA = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: tabA!.json().refresh_token } })
  t.equal(nextA.statusCode, 200, "tab A's new refresh token works")

  // Another login's token, exchanged longer ago than the grace window, then replayed.
  const other = await login(app, ada.email)
  const rotated = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: other.refresh_token } })
  t.equal(rotated.statusCode, 200)
  const longAgo = new Date(Date.now() - REFRESH_REUSE_GRACE_MS - 1000).toISOString()
  app.database.db.update(refreshTokens).set({ usedAt: longAgo }).where(eq(refreshTokens.usedAt, refreshTokens.usedAt)).run()
  const replay = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: other.refresh_token } })
  t.equal(replay.statusCode, 401)
  t.equal(v1Error(replay).error_code, 'INVALID_REFRESH_TOKEN')
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${rotated.json().access_token}` } })
  t.equal(me.statusCode, 401, 'the replay after the window revoked the session')
})

t.test('a JWT without exp or iat is refused, even signed with the right key', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const valid = JSON.parse(Buffer.from(ada.token.split('.')[1]!, 'base64url').toString())
  const sign = (claims: Record<string, unknown>) => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`
    return `${head}.${createHmac('sha256', app.config.jwtSecret).update(head).digest('base64url')}`
  }
  const same = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${sign(valid)}` } })
  t.equal(same.statusCode, 200, 'the hand-made signature is right')
  for (const drop of ['exp', 'iat']) {
    const { [drop]: _, ...claims } = valid
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${sign(claims)}` } })
    t.equal(res.statusCode, 401, `a token without ${drop} is refused`)
    t.equal(v1Error(res).error_code, 'INVALID_TOKEN')
  }
})
