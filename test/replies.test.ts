import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, signUp, type Account } from './helper.js'
import { connect, type Frame } from './ws-helper.js'

async function assistant(app: FastifyInstance, who: Account, model = 'offline', tools: string[] = []) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: who.auth, payload: { name: 'Helper', model, tools } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().id as string
}

async function conversation(app: FastifyInstance, who: Account, assistantId: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: who.auth, payload: { assistant_id: assistantId } })
  return res.json().id as string
}

async function post(app: FastifyInstance, who: Account, id: string, content: string) {
  const res = await app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: who.auth, payload: { content } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}

const deltasOf = (frames: Frame[], messageId: string) =>
  frames.filter((f) => f.type === 'message.delta' && f.message_id === messageId).sort((a, b) => (a.index as number) - (b.index as number))

t.test('a subscriber sees the reply stream: status, deltas, then the completed message', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversation(app, ada, await assistant(app, ada))
  const ws = await connect(app, { token: ada.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: conv })
  await ws.type('subscribed')

  const mine = await post(app, ada, conv, 'Hello there, who are you?')
  t.match(await ws.type('assistant_status'), { status: 'thinking', conversation_id: conv })
  const created = await ws.next((f) => f.type === 'message.created' && (f.message as { role: string }).role === 'assistant')
  const reply = created.message as { id: string; seq: number; status: string }
  t.equal(reply.status, 'streaming')
  t.equal(reply.seq, mine.seq + 1)
  const completed = await ws.type('message.completed', 10000)
  const final = completed.message as { id: string; content: string; status: string }
  t.equal(final.id, reply.id)
  t.equal(final.status, 'completed')
  const deltas = deltasOf(ws.frames, reply.id)
  t.ok(deltas.length > 1, `streamed in several chunks (${deltas.length})`)
  t.same(
    deltas.map((d) => d.index),
    deltas.map((_, i) => i),
    'chunk indexes count from 0'
  )
  t.equal(deltas.map((d) => d.delta).join(''), final.content, 'the deltas add up to the stored reply')
  t.match(await ws.next((f) => f.type === 'assistant_status' && f.status === 'idle'), { status: 'idle' })
  const statuses = ws.frames.filter((f) => f.type === 'assistant_status').map((f) => f.status)
  t.same(statuses, ['thinking', 'streaming', 'idle'])

  const history = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv}/messages`, headers: ada.auth })
  t.same(
    history.json().items.map((m: { role: string }) => m.role),
    ['user', 'assistant']
  )
  t.equal(history.json().items[1].content, final.content)
})

t.test('the tool loop stores the call and its result as tool messages and answers', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversation(app, ada, await assistant(app, ada, 'offline', ['calculator']))
  const ws = await connect(app, { token: ada.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: conv })
  await ws.type('subscribed')
  await post(app, ada, conv, 'calculate 2+3*4')
  const completed = await ws.type('message.completed', 10000)
  t.match((completed.message as { content: string }).content, /14/)
  const history = (await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv}/messages`, headers: ada.auth })).json().items
  t.same(
    history.map((m: { role: string }) => m.role),
    ['user', 'tool', 'tool', 'assistant']
  )
  t.match(history[1], { role: 'tool', tool_call: { kind: 'call', name: 'calculator' } })
  t.match(history[2], { role: 'tool', tool_call: { kind: 'result', name: 'calculator', is_error: false }, content: /14/ })
  const toolFrames = ws.frames.filter((f) => f.type === 'message.created' && (f.message as { role: string }).role === 'tool')
  t.equal(toolFrames.length, 2, 'subscribers see the tool messages too')

  // A later message carries the earlier tool turns in its context without breaking the loop.
  await post(app, ada, conv, 'what is 10/4?')
  const second = await ws.next((f) => f.type === 'message.completed' && f.seq !== completed.seq, 10000)
  t.match((second.message as { content: string }).content, /2\.5/)
})

t.test('a client that drops and resubscribes mid-reply ends with the full reply', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversation(app, ada, await assistant(app, ada, 'offline:slow'))
  const first = await connect(app, { token: ada.token })
  first.send({ type: 'subscribe', conversation_id: conv })
  await first.type('subscribed')
  const mine = await post(app, ada, conv, 'Tell me something long, please')
  await first.next((f) => f.type === 'message.delta' && (f.index as number) >= 1, 10000)
  first.close()
  await first.closed

  const again = await connect(app, { token: ada.token })
  t.teardown(() => again.close())
  again.send({ type: 'subscribe', conversation_id: conv, after_seq: mine.seq })
  const replayed = await again.next((f) => f.type === 'message.created')
  const partial = replayed.message as { id: string; content: string; status: string }
  t.equal(partial.status, 'streaming', 'the reply in progress comes first, with what it streamed so far')
  t.ok(partial.content.length > 0)
  const completed = await again.type('message.completed', 20000)
  const final = (completed.message as { content: string }).content
  const later = deltasOf(again.frames, partial.id)
  t.equal(partial.content + later.map((d) => d.delta).join(''), final, 'partial content + the deltas that follow = the whole reply: no hole, no overlap')
})

t.test('SSE streams the same reply as the socket', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversation(app, ada, await assistant(app, ada))
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conv}/messages`,
    headers: { ...ada.auth, accept: 'text/event-stream' },
    payload: { content: 'Hello over SSE' }
  })
  t.equal(res.statusCode, 201)
  t.match(res.headers['content-type'], /^text\/event-stream/)
  const events = res.body
    .split('\n\n')
    .filter((b) => b.includes('event: '))
    .map((b) => {
      const event = /event: (.+)/.exec(b)?.[1]
      const data = /data: (.+)/.exec(b)?.[1]
      if (event === undefined || data === undefined) throw new Error(`not an SSE event: ${b}`)
      return { event, data: JSON.parse(data) }
    })
  t.equal(events[0]?.event, 'message.created')
  t.equal(events[0]?.data.message.content, 'Hello over SSE')
  const completed = events.find((e) => e.event === 'message.completed')!
  const text = events
    .filter((e) => e.event === 'message.delta')
    .map((e) => e.data.delta)
    .join('')
  t.equal(text, completed.data.message.content, 'the deltas add up to the reply')
  t.same(events[events.length - 1], { event: 'done', data: { type: 'done', outcome: 'completed' } })

  const stored = (await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv}/messages`, headers: ada.auth })).json().items
  t.equal(stored[1].content, text, 'and it is the stored reply')

  // The same over a real socket: a subscriber sees the same text.
  const ws = await connect(app, { token: ada.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: conv })
  await ws.type('subscribed')
  const sse = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conv}/messages`,
    headers: { ...ada.auth, accept: 'text/event-stream' },
    payload: { content: 'Hello over SSE' }
  })
  const wsDone = await ws.type('message.completed', 10000)
  t.match(sse.body, JSON.stringify((wsDone.message as { content: string }).content).slice(1, -1))

  const stranger = await signUp(app)
  const refused = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conv}/messages`,
    headers: { ...stranger.auth, accept: 'text/event-stream' },
    payload: { content: 'x' }
  })
  t.equal(refused.statusCode, 404, 'a refused send is a plain JSON error')
  t.equal(refused.json().error_code, 'CONVERSATION_NOT_FOUND')
})

t.test('a reply can be cancelled', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversation(app, ada, await assistant(app, ada, 'offline:slow'))
  const ws = await connect(app, { token: ada.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: conv })
  await ws.type('subscribed')
  await post(app, ada, conv, 'Tell me a long story')
  await ws.type('message.delta', 10000)
  const cancel = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv}/reply/cancel`, headers: ada.auth })
  t.same(cancel.json(), { cancelled: 1 })
  const done = await ws.type('message.completed', 10000)
  t.equal((done.message as { status: string }).status, 'cancelled')
  await ws.next((f) => f.type === 'assistant_status' && f.status === 'idle')
  const none = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv}/reply/cancel`, headers: ada.auth })
  t.same(none.json(), { cancelled: 0 })
  const eve = await signUp(app)
  const eveCancel = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv}/reply/cancel`, headers: eve.auth })
  t.equal(eveCancel.statusCode, 404)
})

t.test('a provider error reaches the client as an error frame and a failed message', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversation(app, ada, await assistant(app, ada, 'offline:error'))
  const ws = await connect(app, { token: ada.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: conv })
  await ws.type('subscribed')
  await post(app, ada, conv, 'This will fail')
  const err = await ws.type('error', 10000)
  t.match(err, { conversation_id: conv, code: /^MODEL_/, message: String })
  const done = await ws.next((f) => f.type === 'message.completed')
  t.equal((done.message as { status: string }).status, 'failed')
  t.equal(err.message_id, (done.message as { id: string }).id)
  await ws.next((f) => f.type === 'assistant_status' && f.status === 'idle')

  const metrics = (await app.inject({ method: 'GET', url: '/internal/metrics' })).body
  t.match(metrics, /assistant_replies_total\{outcome="failed"\} 1/)
})

t.test('replies answer in order, one per message; people-only conversations get none', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const conv = await conversation(app, ada, await assistant(app, ada))
  await post(app, ada, conv, 'first')
  await post(app, ada, conv, 'second')
  const deadline = Date.now() + 10000
  let items: { role: string; content: string; status: string }[] = []
  while (Date.now() < deadline) {
    items = (await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv}/messages`, headers: ada.auth })).json().items
    if (items.filter((m) => m.role === 'assistant' && m.status === 'completed').length === 2) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const answers = items.filter((m) => m.role === 'assistant')
  t.equal(answers.length, 2, 'one reply per message')
  t.match(answers[0]?.content, /first/, 'in the order of the messages')
  t.match(answers[1]?.content, /second/)

  const people = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [bob.id] } })).json()
  await post(app, ada, people.id, 'just us')
  await new Promise((r) => setTimeout(r, 100))
  const only = (await app.inject({ method: 'GET', url: `/api/v1/conversations/${people.id}/messages`, headers: ada.auth })).json().items
  t.equal(only.length, 1)
})
