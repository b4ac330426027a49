import type { FastifyInstance } from 'fastify'
import { io as connectIo, type Socket } from 'socket.io-client'
import t from 'tap'
import { build, signUp } from './helper.js'
import { connect, listen } from './ws-helper.js'

interface ChatMessage {
  message_id: string
  chat_id: string
  seq: number
  content: string
  sender_id: string | null
}

/** Resolves with the next `event` on a socket. */
function next<T>(socket: Socket, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event}`)), timeoutMs)
    socket.once(event, (value: T) => {
      clearTimeout(timer)
      resolve(value)
    })
  })
}

/** Connects to `/chat` with a connection string; resolves once connected, or rejects with the connect_error. */
async function chatSocket(t: { teardown(fn: () => unknown): void }, base: string, connectionString: unknown): Promise<Socket> {
  const socket = connectIo(`${base}/chat`, { transports: ['websocket'], auth: { connection_string: connectionString }, reconnection: false })
  t.teardown(() => socket.close())
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  return socket
}

async function setUp(app: FastifyInstance) {
  const ada = await signUp(app)
  const ws = (await app.inject({ method: 'POST', url: '/workspace', headers: ada.auth, payload: { name: 'Live' } })).json().workspace.workspace_id
  const chat = (await app.inject({ method: 'POST', url: `/chat?workspace_id=${ws}`, headers: ada.auth })).json().chat.chat_id as string
  const secret = async (path: string, who = ada) => {
    const res = await app.inject({ method: 'GET', url: `${path}?chat_id=${chat}`, headers: who.auth })
    return res.json() as { connection_string?: string; message_string?: string }
  }
  return { ada, chat, secret }
}

t.test('/chat: connection strings open a chat, message secrets post in it, everyone in it hears', async (t) => {
  const app = await build(t)
  const { ada, chat, secret } = await setUp(app)
  const base = (await listen(app)).replace('ws://', 'http://')

  // A bad connection string is refused at the handshake.
  for (const bad of ['csc_not-a-real-one', undefined, 42]) {
    const error = await chatSocket(t, base, bad).then(
      () => null,
      (e: Error) => e
    )
    t.equal(error?.message, 'Invalid or expired connection string', `refused: ${String(bad)}`)
  }

  const first = await chatSocket(t, base, (await secret('/chat/authorize')).connection_string)
  const second = await chatSocket(t, base, (await secret('/chat/authorize')).connection_string)
  const { message_string } = await secret('/chat/authorize/message')

  // A bad message secret is answered with {"msg"}, and nothing is posted.
  t.same(await first.timeout(5000).emitWithAck('send_message', { message_string: 'csm_wrong', content: 'no' }), { msg: 'Invalid or expired message secret' })
  t.same(await first.timeout(5000).emitWithAck('send_message', { message_string }), { msg: 'Missing or invalid content parameter' })

  // A good one: acknowledged with the stored message, which the other socket receives.
  const heard = next<ChatMessage>(second, 'message')
  const ack = (await first.timeout(5000).emitWithAck('send_message', { message_string, content: 'hello over socket.io' })) as ChatMessage
  t.match(ack, { chat_id: chat, seq: 1, content: 'hello over socket.io', sender_id: ada.id, role: 'user' })
  t.same(await heard, ack, 'a second socket receives it')

  // It is in v1's history.
  const history = await app.inject({ method: 'GET', url: `/api/v1/conversations/${chat}/messages`, headers: ada.auth })
  t.match(history.json().items, [{ id: ack.message_id, seq: 1, content: 'hello over socket.io' }])

  // A v1 message reaches the sockets.
  const fromV1 = next<ChatMessage>(first, 'message')
  const fromV1Second = next<ChatMessage>(second, 'message')
  await app.inject({ method: 'POST', url: `/api/v1/conversations/${chat}/messages`, headers: ada.auth, payload: { content: 'hello from v1' } })
  t.match(await fromV1, { seq: 2, content: 'hello from v1', chat_id: chat })
  t.match(await fromV1Second, { seq: 2, content: 'hello from v1' })
})

t.test('/chat and /ws hear the same messages; secrets expire and stay with their chat', async (t) => {
  const app = await build(t)
  const { ada, chat, secret } = await setUp(app)
  const base = (await listen(app)).replace('ws://', 'http://')
  const ws = await connect(app, { token: ada.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: chat })
  await ws.type('subscribed')

  const socket = await chatSocket(t, base, (await secret('/chat/authorize')).connection_string)
  const { message_string } = await secret('/chat/authorize/message')
  const ack = (await socket.timeout(5000).emitWithAck('send_message', { message_string, content: 'to both' })) as ChatMessage
  const frame = await ws.type('message.created')
  t.match(frame, { conversation_id: chat, message: { id: ack.message_id, content: 'to both' } }, 'a socket.io message is on /ws')

  // Expired secrets are refused: the message secret at send, the connection string at connect.
  const expired = await secret('/chat/authorize')
  app.database.sqlite.prepare("update chat_secrets set expires_at = '2000-01-01T00:00:00.000Z'").run()
  t.same(await socket.timeout(5000).emitWithAck('send_message', { message_string, content: 'late' }), { msg: 'Invalid or expired message secret' })
  const refused = await chatSocket(t, base, expired.connection_string).then(
    () => null,
    (e: Error) => e
  )
  t.equal(refused?.message, 'Invalid or expired connection string')

  // A message secret of one chat does not post in another.
  const other = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { title: 'other' } })).json().id
  const otherSecret = (await app.inject({ method: 'GET', url: `/chat/authorize/message?chat_id=${other}`, headers: ada.auth })).json().message_string
  t.same(await socket.timeout(5000).emitWithAck('send_message', { message_string: otherSecret, content: 'wrong chat' }), {
    msg: 'Invalid or expired message secret'
  })

  // Deleting the chat closes its sockets.
  const closed = next<string>(socket, 'disconnect')
  await app.inject({ method: 'DELETE', url: `/chat?chat_id=${chat}`, headers: ada.auth })
  t.equal(await closed, 'io server disconnect')
})

t.test('/chat: disabling a user closes their sockets and their secrets stop working', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const { ada, chat, secret } = await setUp(app)
  const base = (await listen(app)).replace('ws://', 'http://')
  const connection = (await secret('/chat/authorize')).connection_string
  const socket = await chatSocket(t, base, connection)
  const closed = next<string>(socket, 'disconnect')
  const disabled = await app.inject({ method: 'PUT', url: `/api/v1/users/${ada.id}`, headers: admin.auth, payload: { is_active: false } })
  t.equal(disabled.statusCode, 200)
  t.equal(await closed, 'io server disconnect')
  const refused = await chatSocket(t, base, connection).then(
    () => null,
    (e: Error) => e
  )
  t.equal(refused?.message, 'Invalid or expired connection string', `the connection string of ${chat} no longer opens it`)
})
