import { fileURLToPath } from 'node:url'
import { build as bundle } from 'esbuild'
import t from 'tap'
import { WebSocket } from 'ws'
import { createClient, type StreamEvent, type WsMessageCompleted, type WsServerFrame } from '../sdk/src/index.js'
import { build } from './helper.js'

const password = 'violet harbor 71 lantern'

t.test('the SDK over a real port: sign up and in, an assistant, a conversation, a reply streamed over SSE and /ws', async (t) => {
  const app = await build(t)
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
  const client = createClient({ baseUrl, WebSocket })

  const registered = await client.api.POST('/api/v1/auth/register', { body: { email: 'ada@example.com', password, full_name: 'Ada' } })
  t.equal(registered.response.status, 201)
  t.equal(registered.data?.email, 'ada@example.com')
  const refused = await client.api.GET('/api/v1/users/me')
  t.equal(refused.response.status, 401, 'no token yet')
  t.equal(refused.error?.error_code, 'UNAUTHORIZED', 'errors come typed in the v1 body')

  const tokens = await client.login('ada@example.com', password)
  t.equal(tokens.token_type, 'bearer')
  const me = await client.api.GET('/api/v1/users/me')
  t.equal(me.data?.id, registered.data?.id, 'signed in: the token is sent')

  const assistant = await client.api.POST('/api/v1/assistants', { body: { name: 'Helper', model: 'offline', tools: ['calculator'] } })
  t.equal(assistant.response.status, 201)
  t.ok(assistant.data, 'an assistant')
  if (!assistant.data) return
  const conversation = await client.api.POST('/api/v1/conversations', { body: { assistant_id: assistant.data.id, title: 'Sums' } })
  t.ok(conversation.data, 'a conversation')
  if (!conversation.data) return
  const conversationId = conversation.data.id
  t.equal(conversation.response.headers.get('location'), `/api/v1/conversations/${conversationId}`)

  // The streamed send: the message, the reply as it streams, then `done`.
  const events: StreamEvent[] = []
  for await (const event of client.sendMessageStream(conversationId, { content: 'Hello there' })) events.push(event)
  const types = events.map((e) => e.type)
  t.equal(types[0], 'message.created', 'the message first')
  const first = events[0]
  t.equal(first?.type === 'message.created' ? first.message.content : undefined, 'Hello there')
  t.ok(types.includes('message.delta'), 'the reply in chunks')
  const completed = events.find((e): e is WsMessageCompleted => e.type === 'message.completed')
  t.equal(completed?.message.role, 'assistant')
  t.equal(completed?.message.status, 'completed')
  t.match(completed?.message.content, /\S/, 'the reply has text')
  t.same(events.at(-1), { type: 'done', outcome: 'completed' }, 'and done last')

  // The same reply, followed over /ws while the message is sent as plain JSON.
  const socket = await client.connect()
  t.equal(socket.ready.user_id, registered.data?.id, '/ws signed in with a ticket')
  socket.send({ type: 'subscribe', conversation_id: conversationId, request_id: 'sub-1' })
  const subscribed = await socket.next((f) => f.type === 'subscribed')
  t.equal(subscribed.type === 'subscribed' ? subscribed.request_id : undefined, 'sub-1')
  const frames: WsServerFrame[] = []
  const stop = socket.onFrame((f) => frames.push(f))
  const replied = socket.next((f): f is WsMessageCompleted => f.type === 'message.completed')
  const sent = await client.api.POST('/api/v1/conversations/{conversation_id}/messages', {
    params: { path: { conversation_id: conversationId } },
    body: { content: 'What is 6 times 7?' }
  })
  t.equal(sent.response.status, 201)
  t.equal(sent.data?.content, 'What is 6 times 7?', 'the JSON send answers with the message, typed as one')
  const reply = await replied
  t.equal(reply.message.role, 'assistant')
  t.ok(
    frames.some((f) => f.type === 'message.delta' && f.message_id === reply.message.id),
    'the reply streamed in chunks over /ws'
  )
  stop()
  const closed = new Promise<{ code: number }>((resolve) => socket.onClose(resolve))
  socket.close()
  t.equal((await closed).code, 1000, 'onClose reports the closing')
})

t.test('the SDK bundles for a browser, with nothing of Node in it', async (t) => {
  const result = await bundle({
    entryPoints: [fileURLToPath(new URL('../sdk/src/index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    minify: true,
    logLevel: 'silent'
  })
  t.same(result.errors, [])
  const code = result.outputFiles[0]?.text ?? ''
  t.notMatch(code, /\bnode:|require\(/, 'no Node module is imported')
  t.ok(code.length < 20_000, `small: ${code.length} bytes minified`)
})
