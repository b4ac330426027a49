import { io as connectIo, type Socket } from 'socket.io-client'
import t from 'tap'
import { build, publicAssistant, signUp } from './helper.js'
import { connect, listen } from './ws-helper.js'

interface Message {
  id: string
  role: string
  content: string
  status: string
  sender_id: string | null
  seq: number
}

/** A Socket.IO client that records every event, so a test can wait for one it expects. */
class Client {
  readonly events: { name: string; payload: Record<string, unknown> }[] = []
  private waiters: { match: (name: string, p: Record<string, unknown>) => boolean; resolve: (p: Record<string, unknown>) => void }[] = []

  constructor(readonly socket: Socket) {
    socket.onAny((name: string, payload: Record<string, unknown>) => {
      this.events.push({ name, payload })
      const w = this.waiters.find((w) => w.match(name, payload))
      if (w) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve(payload)
      }
    })
  }

  /** The next event of that name (and matching `pred`), including one already received and not yet taken. */
  next<T = Record<string, unknown>>(name: string, pred: (p: Record<string, unknown>) => boolean = () => true): Promise<T> {
    const seen = this.events.findIndex((e) => e.name === name && pred(e.payload))
    if (seen >= 0) return Promise.resolve(this.events.splice(seen, 1)[0]!.payload as T)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} event`)), 5000)
      this.waiters.push({
        match: (n, p) => n === name && pred(p),
        resolve: (p) => {
          clearTimeout(timer)
          const i = this.events.findIndex((e) => e.payload === p)
          if (i >= 0) this.events.splice(i, 1)
          resolve(p as T)
        }
      })
    })
  }

  /** Nothing of that name arrives within a short while. */
  async none(name: string, ms = 300): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms))
    return !this.events.some((e) => e.name === name)
  }
}

async function client(t: { teardown(fn: () => unknown): void }, base: string, token: string | undefined, namespace = '/assistant/realtime'): Promise<Client> {
  const socket = connectIo(`${base}${namespace}`, { transports: ['websocket'], auth: token ? { token } : {}, reconnection: false, forceNew: true })
  t.teardown(() => socket.close())
  const c = new Client(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (err) => reject(err))
  })
  return c
}

async function refusal(base: string, auth: Record<string, unknown>, namespace: string): Promise<Error & { data?: { code?: string } }> {
  const socket = connectIo(`${base}${namespace}`, { transports: ['websocket'], auth, reconnection: false, forceNew: true })
  try {
    return await new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected')))
      socket.once('connect_error', (err) => resolve(err))
    })
  } finally {
    socket.close()
  }
}

/** Three people, an assistant of the first, and the first one's socket in a room with it that the second may join. */
async function roomOfThree(t: { teardown(fn: () => unknown): void }, title?: string) {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const eve = await signUp(app)
  const assistantId = await publicAssistant(app, ada)
  const base = (await listen(app)).replace('ws://', 'http://')
  const adaClient = await client(t, base, ada.token)
  adaClient.socket.emit('create_room', { assistant_id: assistantId, participant_ids: [bob.id], ...(title ? { title } : {}) })
  const created = await adaClient.next<{ room_id: string; assistant_id: string; title: string }>('room_created')
  return { app, ada, bob, eve, assistantId, base, adaClient, created, roomId: created.room_id }
}

const isReply = (p: Record<string, unknown>) => (p.message as Message).role === 'assistant'
const isUser = (p: Record<string, unknown>) => (p.message as Message).role === 'user'

t.test('handshakes without a good token are refused, on / and /assistant/realtime', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const base = (await listen(app)).replace('ws://', 'http://')
  for (const ns of ['/', '/assistant/realtime']) {
    const missing = await refusal(base, {}, ns)
    t.equal(missing.data?.code, 'UNAUTHORIZED', `${ns}: no token`)
    const bad = await refusal(base, { token: 'not-a-token' }, ns)
    t.equal(bad.data?.code, 'INVALID_TOKEN', `${ns}: a bad token`)
    t.match(bad.message, /invalid|expired/i)
  }
  await client(t, base, ada.token, '/')
  t.pass('the default namespace takes an access token')
  const key = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: ada.auth, payload: { name: 'sockets' } })
  t.equal(key.statusCode, 201)
  await client(t, base, key.json().key)
  t.pass('and an API key')

  // A session that was signed out no longer connects.
  await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: ada.auth, payload: { refresh_token: ada.refresh } })
  t.equal((await refusal(base, { token: ada.token }, '/assistant/realtime')).data?.code, 'INVALID_TOKEN')
})

t.test('a room: created, joined by another socket, messages and the reply reach every member', async (t) => {
  const { app, ada, bob, eve, assistantId, base, adaClient: ada1, created, roomId } = await roomOfThree(t, 'Planning')
  t.match(created, { assistant_id: assistantId, title: 'Planning' })

  // The same person on another device, then another person: each join is told to the others.
  const ada2 = await client(t, base, ada.token)
  ada2.socket.emit('join_room', { room_id: roomId })
  t.same((await ada2.next('room_joined')).user_ids, [ada.id])
  t.same(await ada1.next('user_joined'), { room_id: roomId, user_id: ada.id }, 'the same person on another socket is announced')

  const bobs = await client(t, base, bob.token)
  bobs.socket.emit('join_room', { room_id: roomId })
  const joined = await bobs.next<{ user_ids: string[] }>('room_joined')
  t.same(new Set(joined.user_ids), new Set([ada.id, bob.id]))
  t.same(await ada1.next('user_joined'), { room_id: roomId, user_id: bob.id })
  t.same(await ada2.next('user_joined'), { room_id: roomId, user_id: bob.id })

  // Someone who may not see the conversation cannot join, and hears nothing of it.
  const eves = await client(t, base, eve.token)
  eves.socket.emit('join_room', { room_id: roomId })
  t.match(await eves.next('error'), { code: 'CONVERSATION_NOT_FOUND', event: 'join_room' })
  eves.socket.emit('send_message', { room_id: roomId, content: 'let me in' })
  t.match(await eves.next('error'), { code: 'NOT_IN_ROOM' })

  // /ws sees the same conversation.
  const ws = await connect(app, { token: bob.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: roomId })
  await ws.type('subscribed')

  bobs.socket.emit('send_message', { room_id: roomId, content: 'Hello, assistant' })
  for (const [name, c] of [
    ['ada1', ada1],
    ['ada2', ada2],
    ['bob', bobs]
  ] as const) {
    const mine = await c.next<{ room_id: string; message: Message }>('message_received', isUser)
    t.equal(mine.room_id, roomId)
    t.match(mine.message, { role: 'user', content: 'Hello, assistant', sender_id: bob.id, seq: 1 }, `${name} gets the message`)
    const reply = await c.next<{ room_id: string; message: Message }>('message_received', isReply)
    t.match(reply.message, { role: 'assistant', status: 'completed', content: /You said: "Hello, assistant"/ }, `${name} gets the offline model's reply`)
  }
  t.ok(await eves.none('message_received'), 'no one outside the room hears it')
  t.match(await ws.type('message.created'), { conversation_id: roomId, message: { content: 'Hello, assistant' } }, '/ws gets the message')

  const history = await app.inject({ method: 'GET', url: `/api/v1/conversations/${roomId}/messages`, headers: ada.auth })
  t.equal(history.statusCode, 200)
  const items = history.json().items as Message[]
  t.same(
    items.map((m) => [m.role, m.status]),
    [
      ['user', 'completed'],
      ['assistant', 'completed']
    ]
  )
  t.equal(items[0]!.content, 'Hello, assistant')

  // Leaving, and disconnecting, are told to the others.
  ada2.socket.emit('leave_room', { room_id: roomId })
  t.same(await ada1.next('user_left'), { room_id: roomId, user_id: ada.id })
  t.same(await bobs.next('user_left'), { room_id: roomId, user_id: ada.id })
  ada2.socket.emit('send_message', { room_id: roomId, content: 'after leaving' })
  t.match(await ada2.next('error'), { code: 'NOT_IN_ROOM', room_id: roomId })
  bobs.socket.close()
  t.same(await ada1.next('user_left'), { room_id: roomId, user_id: bob.id })
})

t.test('bad payloads get an error event and the socket stays usable', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const base = (await listen(app)).replace('ws://', 'http://')
  const c = await client(t, base, ada.token)
  const bad: [string, unknown][] = [
    ['create_room', {}],
    ['create_room', 'text'],
    ['create_room', null],
    ['join_room', { room_id: 'not-a-uuid' }],
    ['join_room', { room_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', extra: 1 }],
    ['send_message', { room_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', content: '' }],
    ['leave_room', 42]
  ]
  for (const [name, payload] of bad) {
    c.socket.emit(name, payload)
    t.match(await c.next('error'), { code: 'INVALID_EVENT', event: name }, `${name} ${JSON.stringify(payload)}`)
  }
  c.socket.emit('create_room', { assistant_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d' })
  t.match(await c.next('error'), { code: 'ASSISTANT_NOT_FOUND', event: 'create_room' }, 'an unknown assistant')
  // A conversation one sees that has no assistant is no room.
  const people = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { title: 'notes' } })
  c.socket.emit('join_room', { room_id: people.json().id })
  t.match(await c.next('error'), { code: 'ROOM_NOT_FOUND' })
  t.ok(c.socket.connected, 'still connected')
})

t.test("the assistant's reply streams to every member as chunks, then arrives whole", async (t) => {
  const { bob, eve, base, adaClient: adas, roomId } = await roomOfThree(t)
  const bobs = await client(t, base, bob.token)
  bobs.socket.emit('join_room', { room_id: roomId })
  await bobs.next('room_joined')
  const eves = await client(t, base, eve.token)

  // What each member hears, in the order it arrives.
  const heard = new Map<Client, string[]>()
  for (const c of [adas, bobs]) {
    const order: string[] = []
    heard.set(c, order)
    c.socket.onAny((name: string, payload: { message?: Message }) => order.push(name === 'message_received' ? `${name}:${payload.message?.role}` : name))
  }
  adas.socket.emit('send_message', { room_id: roomId, content: 'Tell me something' })
  for (const [name, c] of [
    ['ada', adas],
    ['bob', bobs]
  ] as const) {
    const reply = await c.next<{ room_id: string; message: Message }>('message_received', isReply)
    const order = heard.get(c)!
    const chunks = c.events
      .filter((e) => e.name === 'message_chunk')
      .map((e) => e.payload as { room_id: string; message_id: string; index: number; delta: string })
    t.ok(chunks.length > 1, `${name} got the reply in ${chunks.length} chunks`)
    t.ok(
      chunks.every((ch) => ch.room_id === roomId && ch.message_id === reply.message.id),
      `${name}: the chunks are of the reply that came whole`
    )
    t.same(
      chunks.map((ch) => ch.index),
      chunks.map((_, i) => i),
      `${name}: in order, none missing`
    )
    t.equal(chunks.map((ch) => ch.delta).join(''), reply.message.content, `${name}: the chunks make the reply`)
    t.ok(order.indexOf('message_received:user') < order.indexOf('message_chunk'), `${name}: the message first`)
    t.equal(order.lastIndexOf('message_chunk'), order.indexOf('message_received:assistant') - 1, `${name}: then the chunks, then the whole reply`)
  }
  t.ok(await eves.none('message_chunk'), 'no one outside the room hears the chunks')
})
