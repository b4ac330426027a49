import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { type Account, build, signUp } from './helper.js'
import { connect, type Frame, listen, WsClient } from './ws-helper.js'

const path = (conversationId: string) => `/api/conversations/${conversationId}/connect`

/** Opens a conversation's chat-app WebSocket; resolves with the client once open, or with the refusal and its body. */
async function open(app: FastifyInstance, conversationId: string, token?: string): Promise<{ client?: WsClient; status?: number; body?: unknown }> {
  const base = await listen(app)
  const ws = new WebSocket(`${base}${path(conversationId)}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  const client = new WsClient(ws)
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ client }))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString()
      })
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }))
    })
  })
}

async function openOk(t: Test, app: FastifyInstance, conversationId: string, who: Account): Promise<WsClient> {
  const { client } = await open(app, conversationId, who.token)
  if (!client) throw new Error('refused')
  t.teardown(() => client.close())
  const first = await client.next()
  t.same(first, { status: 'WebSocket connected', conversation_id: conversationId }, 'the first frame says it is connected')
  return client
}

const isMessage = (text: string) => (f: Frame) => (f as unknown as { message?: unknown }).message === text && 'message_id' in f
const isError = (f: Frame) => 'error' in f

async function conversation(
  app: FastifyInstance,
  who: Account,
  payload: Record<string, unknown>
): Promise<{ conversation_id: string; assistant_id: string | null }> {
  const res = await app.inject({ method: 'POST', url: '/api/conversations', headers: who.auth, payload })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}

t.test('messages flow both ways, from and to every client of the conversation', async (t) => {
  const app = await build(t)
  const ada = await signUp(app, 'ada@example.com')
  const bob = await signUp(app, 'bob@example.com')
  const conv = await conversation(app, ada, { participant_id: bob.id })
  const id = conv.conversation_id

  const adaSocket = await openOk(t, app, id, ada)
  const bobSocket = await openOk(t, app, id, bob)
  const v1Socket = await connect(app, { token: bob.token })
  t.teardown(() => v1Socket.close())
  v1Socket.send({ type: 'subscribe', conversation_id: id })
  await v1Socket.type('subscribed')

  // Sent on the socket: every socket of the conversation gets it, the sender's too (its confirmation).
  adaSocket.send({ message: 'Hi, how are you?' })
  const mine = await adaSocket.next(isMessage('Hi, how are you?'))
  const theirs = await bobSocket.next(isMessage('Hi, how are you?'))
  t.same(Object.keys(mine).sort(), ['conversation_id', 'message', 'message_id', 'sender_id', 'timestamp'])
  t.match(mine, { conversation_id: id, sender_id: ada.id, message_id: /^[0-9a-f-]{36}$/, timestamp: /Z$/ })
  t.same(theirs, mine)
  const v1Frame = await v1Socket.type('message.created')
  t.match(v1Frame, { conversation_id: id, message: { id: mine.message_id, content: 'Hi, how are you?', sender_id: ada.id } }, 'a v1 /ws client gets it')

  // Sent with POST /api/messages, and through v1: they reach the socket.
  const posted = await app.inject({
    method: 'POST',
    url: '/api/messages',
    headers: bob.auth,
    payload: { conversation_id: id, sender_id: bob.id, message: "I'm good" }
  })
  t.equal(posted.statusCode, 200)
  t.match(await adaSocket.next(isMessage("I'm good")), { message_id: posted.json().message_id, sender_id: bob.id, timestamp: posted.json().timestamp })
  const v1Sent = await app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: bob.auth, payload: { content: 'from v1' } })
  t.equal(v1Sent.statusCode, 201)
  t.match(await adaSocket.next(isMessage('from v1')), { message_id: v1Sent.json().id, sender_id: bob.id })

  // With the ids of POST /api/messages, which must match.
  bobSocket.send({ conversation_id: id, sender_id: bob.id, message: 'with ids' })
  t.match(await adaSocket.next(isMessage('with ids')), { sender_id: bob.id })

  const history = (await app.inject({ method: 'GET', url: `/api/conversations/${id}`, headers: ada.auth })).json()
  t.same(
    history.map((m: { message: string }) => m.message),
    ['Hi, how are you?', "I'm good", 'from v1', 'with ids'],
    'what the socket carried is stored'
  )
  t.notOk(
    adaSocket.frames.some((f) => 'error' in f),
    'no error frames'
  )
})

t.test('bad frames get an error frame in the chat-app body, and the socket stays open', async (t) => {
  const app = await build(t)
  const ada = await signUp(app, 'ada@example.com')
  const bob = await signUp(app, 'bob@example.com')
  const conv = await conversation(app, ada, { participant_id: bob.id })
  const other = await conversation(app, bob, { participant_id: ada.id })
  const socket = await openOk(t, app, conv.conversation_id, ada)

  const refused = async (frame: unknown, status: number, message: string) => {
    socket.send(frame)
    t.same(await socket.next(isError), { error: { message, status } }, message)
  }
  await refused('not json', 400, 'A frame is a JSON object: {"message": "Hello"}')
  await refused({}, 400, 'A frame is a JSON object: {"message": "Hello"}; message Expected required property')
  await refused({ message: '' }, 400, 'A frame is a JSON object: {"message": "Hello"}; message Expected string length greater or equal to 1')
  await refused({ message: 'as Bob', sender_id: bob.id }, 403, 'You can only act as yourself: sender_id must be your own user id')
  await refused({ message: 'elsewhere', conversation_id: other.conversation_id }, 400, `This socket is connected to conversation ${conv.conversation_id}`)

  socket.send({ message: 'still here' })
  t.match(await socket.next(isMessage('still here')), { sender_id: ada.id })
  const history = (await app.inject({ method: 'GET', url: `/api/conversations/${conv.conversation_id}`, headers: ada.auth })).json()
  t.same(
    history.map((m: { message: string }) => m.message),
    ['still here'],
    'nothing refused was stored'
  )
})

t.test('the upgrade is refused without a token, for someone else’s conversation and for an unknown one', async (t) => {
  const app = await build(t)
  const ada = await signUp(app, 'ada@example.com')
  const bob = await signUp(app, 'bob@example.com')
  const cy = await signUp(app, 'cy@example.com')
  const conv = await conversation(app, ada, { participant_id: bob.id })

  t.same(await open(app, conv.conversation_id), {
    status: 401,
    body: { error: { message: 'Not authenticated: send Authorization: Bearer <token>', status: 401 } }
  })
  t.same(await open(app, conv.conversation_id, 'garbage'), { status: 401, body: { error: { message: 'Invalid or expired access token', status: 401 } } })
  t.same(await open(app, conv.conversation_id, cy.token), { status: 404, body: { error: { message: 'Conversation not found', status: 404 } } })
  t.same(await open(app, '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', ada.token), {
    status: 404,
    body: { error: { message: 'Conversation not found', status: 404 } }
  })
  // Cy's sockets, on the conversation or on /ws, never get its messages.
  const cyV1 = await connect(app, { token: cy.token })
  t.teardown(() => cyV1.close())
  const bobSocket = await openOk(t, app, conv.conversation_id, bob)
  await app.inject({
    method: 'POST',
    url: '/api/messages',
    headers: ada.auth,
    payload: { conversation_id: conv.conversation_id, sender_id: ada.id, message: 'private' }
  })
  await bobSocket.next(isMessage('private'))
  t.notOk(
    cyV1.frames.some((f) => JSON.stringify(f).includes('private')),
    'nothing reaches an outsider'
  )
})

t.test("in a conversation with the assistant, its finished replies arrive as messages with the assistant's id", async (t) => {
  const app = await build(t)
  const ada = await signUp(app, 'ada@example.com')
  const conv = await conversation(app, ada, { is_ai: true })
  const socket = await openOk(t, app, conv.conversation_id, ada)

  socket.send({ message: 'calculate 2+3*4' })
  const question = await socket.next(isMessage('calculate 2+3*4'))
  t.equal(question.sender_id, ada.id)
  const reply = await socket.next((f) => (f as unknown as { sender_id?: string }).sender_id === conv.assistant_id)
  t.match(reply, { conversation_id: conv.conversation_id, message: /14/, message_id: /^[0-9a-f-]{36}$/ })
  t.equal(socket.frames.length, 3, 'connected, the question, the answer: no partial replies or tool calls')

  // A reply that fails is an error frame. Ada, the first account, is an admin: she may change the
  // ownerless default assistant.
  const changed = await app.inject({
    method: 'PUT',
    url: `/api/v1/assistants/${conv.assistant_id}`,
    headers: ada.auth,
    payload: { model: 'offline:error' }
  })
  t.equal(changed.statusCode, 200)
  socket.send({ message: 'and now?' })
  await socket.next(isMessage('and now?'))
  const failed = (await socket.next(isError)) as unknown as { error: { message: string; status: number } }
  t.equal(failed.error.status, 502)
  t.type(failed.error.message, 'string')
})

t.test('a deleted conversation is a 404 frame to its sockets', async (t) => {
  const app = await build(t)
  const ada = await signUp(app, 'ada@example.com')
  const bob = await signUp(app, 'bob@example.com')
  const conv = await conversation(app, ada, { participant_id: bob.id })
  const socket = await openOk(t, app, conv.conversation_id, bob)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.conversation_id}`, headers: ada.auth })).statusCode, 204)
  t.same(await socket.next(isError), { error: { message: 'Conversation not found', status: 404 } })
})

t.test('the socket closes on shutdown', async (t) => {
  const app = await build(t)
  const ada = await signUp(app, 'ada@example.com')
  const conv = await conversation(app, ada, { is_ai: true })
  const socket = await openOk(t, app, conv.conversation_id, ada)
  await app.close()
  t.equal((await socket.closed).code, 1001)
})
