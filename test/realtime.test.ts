import t from 'tap'
import WebSocket from 'ws'
import { build, signUp } from './helper.js'
import { connect, listen, type Frame } from './ws-helper.js'

async function conversationOf(app: Awaited<ReturnType<typeof build>>, owner: { auth: Record<string, string> }, others: string[] = []) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: owner.auth, payload: { participant_ids: others } })
  return res.json() as { id: string }
}

async function post(app: Awaited<ReturnType<typeof build>>, who: { auth: Record<string, string> }, id: string, content: string) {
  const res = await app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: who.auth, payload: { content } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}

t.test('two users in a conversation receive each other’s messages live', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const conv = await conversationOf(app, ada, [bob.id])
  const a = await connect(app, { token: ada.token })
  const b = await connect(app, { token: bob.token })
  t.teardown(() => {
    a.close()
    b.close()
  })

  a.send({ type: 'subscribe', conversation_id: conv.id, request_id: 'r1' })
  t.match(await a.type('subscribed'), { conversation_id: conv.id, last_seq: 0, replayed: 0, request_id: 'r1' })
  b.send({ type: 'subscribe', conversation_id: conv.id })
  await b.type('subscribed')
  t.match(await a.type('presence'), { user_id: bob.id, status: 'user_joined' }, 'a sees bob arrive')

  await post(app, ada, conv.id, 'hello bob')
  const got = await b.type('message.created')
  t.match(got, { conversation_id: conv.id, seq: 1, message: { content: 'hello bob', sender_id: ada.id } })

  b.send({ type: 'message.send', conversation_id: conv.id, content: 'hi ada', client_msg_id: 'b-1', request_id: 'send-1' })
  const ack = await b.type('message.ack')
  t.match(ack, { request_id: 'send-1', created: true, message: { seq: 2, content: 'hi ada' } })
  t.match(await a.next((f) => f.type === 'message.created' && f.seq === 2), { message: { content: 'hi ada', sender_id: bob.id } })

  // A retried WebSocket send with the same client_msg_id makes one message.
  b.send({ type: 'message.send', conversation_id: conv.id, content: 'hi ada', client_msg_id: 'b-1', request_id: 'send-2' })
  const ack2 = await b.next((f) => f.type === 'message.ack' && f.request_id === 'send-2')
  t.equal(ack2.created, false)
  t.same((ack2.message as Frame).id, (ack.message as Frame).id)

  b.send({ type: 'typing', conversation_id: conv.id })
  t.match(await a.type('typing'), { user_id: bob.id, is_typing: true })

  a.send({ type: 'read', conversation_id: conv.id, seq: 2, request_id: 'rd' })
  t.match(await a.type('read'), { request_id: 'rd', last_read_seq: 2 })
  t.match(await b.type('read'), { user_id: ada.id, last_read_seq: 2 })

  // An edit and a delete reach subscribers, with the message's seq.
  const msg = await post(app, ada, conv.id, 'typo')
  await b.next((f) => f.type === 'message.created' && f.seq === 3)
  await app.inject({ method: 'PATCH', url: `/api/v1/conversations/${conv.id}/messages/${msg.id}`, headers: ada.auth, payload: { content: 'fixed' } })
  t.match(await b.type('message.updated'), { seq: 3, message: { content: 'fixed' } })
  await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.id}/messages/${msg.id}`, headers: ada.auth })
  t.match(await b.type('message.deleted'), { seq: 3, message: { content: '', deleted_at: String } })

  b.send({ type: 'unsubscribe', conversation_id: conv.id })
  await b.type('unsubscribed')
  t.match(await a.type('presence'), { user_id: bob.id, status: 'user_left' })
  await post(app, ada, conv.id, 'are you there?')
  t.match(await b.type('conversation_update'), { conversation_id: conv.id, action: 'new_message', seq: 4 }, 'unsubscribed sockets hear of new messages')
})

t.test('resubscribing with after_seq delivers exactly what was missed, then live', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const conv = await conversationOf(app, ada, [bob.id])
  const first = await connect(app, { token: bob.token })
  first.send({ type: 'subscribe', conversation_id: conv.id })
  await first.type('subscribed')
  await post(app, ada, conv.id, 'before')
  const seen = await first.type('message.created')
  t.equal(seen.seq, 1)
  first.close()
  await first.closed

  for (let i = 0; i < 100; i++) await post(app, ada, conv.id, `missed ${i}`)

  const again = await connect(app, { token: bob.token })
  t.teardown(() => again.close())
  again.send({ type: 'subscribe', conversation_id: conv.id, after_seq: 1 })
  // Live messages keep arriving while the replay happens.
  const live = (async () => {
    for (let i = 0; i < 5; i++) await post(app, ada, conv.id, `live ${i}`)
  })()
  const subscribed = await again.type('subscribed', 10000)
  t.ok((subscribed.replayed as number) >= 100, 'the 100 missed (and any sent meanwhile) were replayed')
  t.equal(subscribed.replay_truncated, false)
  await live
  const created = await again.collect('message.created', 105)
  const seqs = created.map((f) => f.seq as number)
  t.same(
    seqs,
    Array.from({ length: 105 }, (_, i) => i + 2),
    'seq 2..106 in order: no gap, no duplicate'
  )
  t.same(
    created.slice(0, 100).map((f) => (f.message as { content: string }).content),
    Array.from({ length: 100 }, (_, i) => `missed ${i}`)
  )
  await new Promise((r) => setTimeout(r, 100))
  t.equal(again.frames.filter((f) => f.type === 'message.created').length, 105, 'nothing more')
})

t.test('a replay larger than the limit says so', async (t) => {
  const app = await build(t, {})
  const ada = await signUp(app)
  const conv = await conversationOf(app, ada)
  for (let i = 0; i < 5; i++) await post(app, ada, conv.id, `m${i}`)
  app.hub['opts'].replayLimit = 2
  const c = await connect(app, { token: ada.token })
  t.teardown(() => c.close())
  c.send({ type: 'subscribe', conversation_id: conv.id, after_seq: 0 })
  const sub = await c.type('subscribed')
  t.equal(sub.replay_truncated, true)
  t.ok((sub.replayed as number) >= 2 && (sub.replayed as number) < 5)
})

t.test('a stranger can neither read nor subscribe', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const eve = await signUp(app)
  const conv = await conversationOf(app, ada)
  await post(app, ada, conv.id, 'secret')
  const e = await connect(app, { token: eve.token })
  t.teardown(() => e.close())
  e.send({ type: 'subscribe', conversation_id: conv.id, after_seq: 0, request_id: 'x' })
  t.match(await e.type('error'), { code: 'CONVERSATION_NOT_FOUND', request_id: 'x', conversation_id: conv.id })
  e.send({ type: 'message.send', conversation_id: conv.id, content: 'let me in' })
  t.match(await e.type('error'), { code: 'CONVERSATION_NOT_FOUND' })
  e.send({ type: 'typing', conversation_id: conv.id })
  t.match(await e.type('error'), { code: 'NOT_SUBSCRIBED' })
  await post(app, ada, conv.id, 'more secrets')
  await new Promise((r) => setTimeout(r, 100))
  t.notOk(
    e.frames.some((f) => JSON.stringify(f).includes('secret')),
    'nothing of the conversation reached the stranger'
  )
})

t.test('bad frames get error frames and the socket survives', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const c = await connect(app, { token: ada.token })
  t.teardown(() => c.close())
  const bad: [unknown, string][] = [
    ['not json', 'INVALID_FRAME'],
    ['[1,2,3]', 'INVALID_FRAME'],
    [{ no: 'type' }, 'INVALID_FRAME'],
    [{ type: 'launch_missiles' }, 'UNKNOWN_FRAME_TYPE'],
    [{ type: 'subscribe' }, 'INVALID_FRAME'],
    [{ type: 'subscribe', conversation_id: 'nope' }, 'INVALID_FRAME'],
    [{ type: 'message.send', conversation_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', content: '' }, 'INVALID_FRAME'],
    [{ type: 'subscribe', conversation_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', extra: 1 }, 'INVALID_FRAME'],
    [{ type: 'subscribe', conversation_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d' }, 'CONVERSATION_NOT_FOUND']
  ]
  for (const [frame, code] of bad) {
    c.send(frame)
    const err = await c.type('error')
    t.equal(err.code, code, `${JSON.stringify(frame)} -> ${code}`)
  }
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true })
  t.equal((await c.type('error')).code, 'INVALID_FRAME', 'binary frames are refused')
  c.send({ type: 'ping', request_id: 'still-here' })
  t.match(await c.type('pong'), { request_id: 'still-here' }, 'the socket is still alive')

  // Past 64 KiB the socket closes with 1009 (message too big), as the protocol says.
  c.send({ type: 'ping', request_id: 'x'.repeat(70 * 1024) })
  const closed = await c.closed
  t.equal(closed.code, 1009)
  const other = await connect(app, { token: ada.token })
  other.send({ type: 'ping' })
  await other.type('pong')
  other.close()
  t.pass('the server goes on')
})

t.test('authentication: header, ticket, auth frame, or a clear close', async (t) => {
  const app = await build(t, {})
  app.hub['opts'].authTimeoutMs = 200
  const ada = await signUp(app)
  const base = await listen(app)

  // No credentials: the socket opens, waits for an auth frame, then closes with 4401.
  const silent = await connect(app)
  const closed = await silent.closed
  t.equal(closed.code, 4401)

  // A first auth frame.
  const framed = await connect(app)
  framed.send({ type: 'subscribe', conversation_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d' })
  t.match(await framed.type('error'), { code: 'UNAUTHORIZED' })
  framed.send({ type: 'auth', token: ada.token })
  t.match(await framed.type('ready'), { user_id: ada.id })
  framed.close()

  const badFrame = await connect(app)
  badFrame.send({ type: 'auth', token: 'garbage' })
  t.equal((await badFrame.closed).code, 4401)

  // A bad header is refused before the upgrade, in v1's error shape.
  const refused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${base}/ws`, { headers: { authorization: 'Bearer garbage' } })
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('open', () => resolve(101))
  })
  t.equal(refused, 401)

  // A ticket works once.
  const ticketRes = await app.inject({ method: 'POST', url: '/api/v1/ws/ticket', headers: ada.auth })
  t.equal(ticketRes.statusCode, 201)
  const { ticket, expires_in } = ticketRes.json()
  t.ok(expires_in > 0 && expires_in <= 60)
  const byTicket = await connect(app, { query: `?ticket=${encodeURIComponent(ticket)}` })
  t.match(byTicket.frames[0], { type: 'ready', user_id: ada.id })
  byTicket.close()
  const reused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${base}/ws?ticket=${encodeURIComponent(ticket)}`)
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('open', () => resolve(101))
  })
  t.equal(reused, 401, 'a ticket works once')
  const anonTicket = await app.inject({ method: 'POST', url: '/api/v1/ws/ticket' })
  t.equal(anonTicket.statusCode, 401)
})

t.test('a slow reader is dropped and never slows the others', async (t) => {
  const app = await build(t)
  app.hub['opts'].maxBufferedBytes = 64 * 1024
  const ada = await signUp(app)
  const conv = await conversationOf(app, ada)
  const fast = await connect(app, { token: ada.token })
  const slow = await connect(app, { token: ada.token })
  t.teardown(() => {
    fast.close()
    // It reads nothing, so it would never see a close handshake: ws would wait 30 s for one.
    slow.ws.terminate()
  })
  fast.send({ type: 'subscribe', conversation_id: conv.id })
  slow.send({ type: 'subscribe', conversation_id: conv.id })
  await fast.type('subscribed')
  await slow.type('subscribed')
  // The slow client stops reading from its socket.
  ;(slow.ws as unknown as { _socket: { pause(): void } })._socket.pause()
  const big = 'x'.repeat(30000)
  for (let i = 0; i < 400; i++) await post(app, ada, conv.id, `${i} ${big}`)
  const got = await fast.collect('message.created', 400, 30000)
  t.equal(got.length, 400, 'the fast reader got everything')
  t.ok(app.hub.size <= 1, 'the slow reader was dropped')
})

t.test('dead peers are ended by heartbeats', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const c = await connect(app, { token: ada.token })
  // Its paused socket would never read the server's end of the connection.
  t.teardown(() => c.ws.terminate())
  t.equal(app.hub.size, 1)
  // The client stops answering pings.
  ;(c.ws as unknown as { _receiver: { removeAllListeners(e: string): void } })._receiver.removeAllListeners('ping')
  c.ws.pong = () => {}
  ;(c.ws as unknown as { _socket: { pause(): void } })._socket.pause()
  app.hub['beat']()
  app.hub['beat']()
  t.equal(app.hub.size, 0, 'a peer that did not answer the last ping is gone')
})

t.test('shutdown tells clients and closes their sockets', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const c = await connect(app, { token: ada.token })
  const closing = app.close()
  t.match(await c.type('system_notification'), { level: 'warning' })
  t.equal((await c.closed).code, 1001)
  await closing
})

t.test('presence counts people, not sockets', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const conv = await conversationOf(app, ada, [bob.id])
  const a = await connect(app, { token: ada.token })
  const b1 = await connect(app, { token: bob.token })
  const b2 = await connect(app, { token: bob.token })
  t.teardown(() => {
    a.close()
    b1.close()
    b2.close()
  })
  a.send({ type: 'subscribe', conversation_id: conv.id })
  await a.type('subscribed')
  for (const b of [b1, b2]) {
    b.send({ type: 'subscribe', conversation_id: conv.id })
    await b.type('subscribed')
  }
  b1.close()
  await b1.closed
  b2.send({ type: 'unsubscribe', conversation_id: conv.id })
  await b2.type('unsubscribed')
  await a.next((f) => f.type === 'presence' && f.status === 'user_left')
  const presence = a.frames.filter((f) => f.type === 'presence').map((f) => f.status)
  t.same(presence, ['user_joined', 'user_left'], 'bob joined once and left when his last socket did')
})
