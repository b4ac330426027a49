import { count, eq } from 'drizzle-orm'
import t from 'tap'
import { conversationEvents } from '../src/db/schema.js'
import { CONVERSATION_EVENTS_KEPT } from '../src/domain/conversation-events.js'
import { type Account, build, signUp } from './helper.js'
import { connect, type Frame, type WsClient } from './ws-helper.js'

type App = Awaited<ReturnType<typeof build>>

interface Message {
  id: string
  seq: number
  content: string
  deleted_at: string | null
}

async function conversationOf(app: App, owner: Account, body: Record<string, unknown> = {}): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: owner.auth, payload: body })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().id
}

async function post(app: App, who: Account, conversationId: string, content: string): Promise<Message> {
  const res = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/messages`, headers: who.auth, payload: { content } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json()
}

async function edit(app: App, who: Account, conversationId: string, messageId: string, content: string): Promise<void> {
  const res = await app.inject({
    method: 'PATCH',
    url: `/api/v1/conversations/${conversationId}/messages/${messageId}`,
    headers: who.auth,
    payload: { content }
  })
  if (res.statusCode !== 200) throw new Error(res.body)
}

async function remove(app: App, who: Account, conversationId: string, messageId: string): Promise<void> {
  const res = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conversationId}/messages/${messageId}`, headers: who.auth })
  if (res.statusCode !== 204) throw new Error(res.body)
}

async function subscribe(app: App, who: Account, conversationId: string, resume: Record<string, number> = {}): Promise<{ ws: WsClient; subscribed: Frame }> {
  const ws = await connect(app, { token: who.token })
  ws.send({ type: 'subscribe', conversation_id: conversationId, ...resume })
  const subscribed = await ws.type('subscribed')
  return { ws, subscribed }
}

/** The frames a socket got before its `subscribed` frame: the replay. */
function replayOf(ws: WsClient): Frame[] {
  const i = ws.frames.findIndex((f) => f.type === 'subscribed')
  return ws.frames.slice(0, i).filter((f) => f.type !== 'ready')
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('resubscribing with after_event_seq delivers the edits and deletions of older messages missed, in order', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const conv = await conversationOf(app, ada, { participant_ids: [bob.id] })

  const first = await subscribe(app, bob, conv)
  t.equal(first.subscribed.last_event_seq, 1, 'the conversation was created: its first event')
  const older = await post(app, ada, conv, 'the older message')
  const other = await post(app, ada, conv, 'another one')
  const created = await first.ws.collect('message.created', 2)
  t.same(
    created.map((f) => f.event_seq),
    [2, 3],
    'live events carry their event_seq'
  )
  const seen = Math.max(...first.ws.frames.map((f) => (typeof f.event_seq === 'number' ? f.event_seq : 0)))
  first.ws.close()
  await first.ws.closed

  // While bob is away, ada edits and then deletes the older message, and writes a new one.
  await edit(app, ada, conv, older.id, 'the older message, edited')
  await remove(app, ada, conv, older.id)
  await post(app, ada, conv, 'a new one')

  // after_seq alone cannot tell bob about the older message: only the new one is after his seq.
  const bySeq = await subscribe(app, bob, conv, { after_seq: other.seq })
  t.same(
    replayOf(bySeq.ws).map((f) => f.type),
    ['message.created'],
    'after_seq replays only the new message, as before'
  )
  bySeq.ws.close()

  const again = await subscribe(app, bob, conv, { after_event_seq: seen })
  t.teardown(() => again.ws.close())
  const replay = replayOf(again.ws)
  t.same(
    replay.map((f) => [f.type, f.event_seq]),
    [
      ['message.updated', seen + 1],
      ['message.deleted', seen + 2],
      ['message.created', seen + 3]
    ],
    'the edit, the deletion and the new message, in order, nothing else'
  )
  t.match(replay[0], { conversation_id: conv, seq: older.seq, message: { id: older.id } })
  t.match(replay[1], { conversation_id: conv, seq: older.seq, message: { id: older.id, content: '', deleted_at: String } })
  t.match(replay[2], { message: { content: 'a new one' } })
  t.equal((replay[0]!.message as Message).content, '', "the deleted message's content is gone from the stored events too")
  t.match(again.subscribed, { last_event_seq: seen + 3, replayed: 3, replay_truncated: false, last_seq: 3 })

  // Then live, numbered on, with no duplicate.
  await edit(app, ada, conv, other.id, 'another one, edited')
  const edited = await again.ws.next((f) => f.type === 'message.updated' && f.message !== undefined && (f.message as Message).id === other.id)
  t.match(edited, { event_seq: seen + 4, message: { content: 'another one, edited' } })
  await pause(50)
  t.equal(again.ws.frames.filter((f) => f.type === 'message.created').length, 1, 'nothing replayed twice')
})

t.test('a replay by event_seq is exactly what a live subscriber saw, reply and read marks included', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const assistant = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: ada.auth, payload: { name: 'Helper', model: 'offline' } })
  const conv = await conversationOf(app, ada, { assistant_id: assistant.json().id, participant_ids: [bob.id] })

  const live = await subscribe(app, bob, conv)
  t.teardown(() => live.ws.close())
  const start = live.subscribed.last_event_seq as number
  await post(app, ada, conv, 'hello there')
  await live.ws.next((f) => f.type === 'assistant_status' && f.status === 'idle', 10000)
  await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv}/read`, headers: ada.auth, payload: { seq: 2 } })
  await live.ws.type('read')
  const seen = live.ws.frames.filter((f) => typeof f.event_seq === 'number')
  t.same(
    seen.map((f) => f.event_seq),
    Array.from({ length: seen.length }, (_, i) => start + 1 + i),
    'live events are numbered 1 by 1, with no gap'
  )
  t.ok(seen.some((f) => f.type === 'message.completed') && seen.some((f) => f.type === 'assistant_status'))
  t.ok(
    live.ws.frames.filter((f) => f.type === 'message.delta').every((f) => f.event_seq === undefined),
    'streamed chunks are not in the sequence'
  )

  const late = await subscribe(app, bob, conv, { after_event_seq: start })
  t.teardown(() => late.ws.close())
  const replay = replayOf(late.ws)
  t.same(
    replay.map((f) => [f.type, f.event_seq]),
    seen.map((f) => [f.type, f.event_seq]),
    'the same events, in the same order'
  )
  t.same(replay, seen, 'with the same content')
})

t.test('a replay by event_seq is bounded, and refused with after_seq', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversationOf(app, ada)
  for (let i = 0; i < 5; i++) await post(app, ada, conv, `m${i}`)
  app.hub['opts'].replayLimit = 3

  const far = await subscribe(app, ada, conv, { after_event_seq: 1 })
  t.teardown(() => far.ws.close())
  t.match(far.subscribed, { replay_truncated: true, replayed: 0, last_event_seq: 6, last_seq: 5 }, 'more missed than the limit: told to reload')
  t.same(replayOf(far.ws), [], 'and sent nothing partial')
  await post(app, ada, conv, 'live')
  t.match(await far.ws.type('message.created'), { event_seq: 7, message: { content: 'live' } }, 'live events follow')

  const near = await subscribe(app, ada, conv, { after_event_seq: 4 })
  t.teardown(() => near.ws.close())
  t.match(near.subscribed, { replay_truncated: false, replayed: 3, last_event_seq: 7 })
  const future = await subscribe(app, ada, conv, { after_event_seq: 100 })
  t.teardown(() => future.ws.close())
  t.match(future.subscribed, { replayed: 0, replay_truncated: false, last_event_seq: 7 }, 'nothing after a number not reached yet')

  near.ws.send({ type: 'subscribe', conversation_id: conv, after_seq: 1, after_event_seq: 1, request_id: 'both' })
  t.match(await near.ws.type('error'), { code: 'INVALID_FRAME', request_id: 'both', conversation_id: conv })
  near.ws.send({ type: 'subscribe', conversation_id: conv, after_event_seq: -1 })
  t.match(await near.ws.type('error'), { code: 'INVALID_FRAME' })
})

t.test('only the newest events of a conversation are kept; a client older than them is told to reload', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = await conversationOf(app, ada)
  const principal = app.services.auth.authenticate(ada.token)
  const total = CONVERSATION_EVENTS_KEPT + 150
  // The conversation's creation was event 1.
  for (let i = 1; i < total; i++) app.services.conversations.send(principal, conv, { content: `m${i}` })
  const kept = app.database.db.select({ n: count() }).from(conversationEvents).where(eq(conversationEvents.conversationId, conv)).get()!.n
  t.ok(kept >= CONVERSATION_EVENTS_KEPT && kept < CONVERSATION_EVENTS_KEPT + 100, `kept ${kept} of ${total}`)

  app.hub['opts'].replayLimit = total
  const old = await subscribe(app, ada, conv, { after_event_seq: 1 })
  t.teardown(() => old.ws.close())
  t.match(old.subscribed, { replay_truncated: true, replayed: 0, last_event_seq: total }, 'the first events are no longer kept')
  const recent = await subscribe(app, ada, conv, { after_event_seq: total - 10 })
  t.teardown(() => recent.ws.close())
  t.match(recent.subscribed, { replay_truncated: false, replayed: 10 })
  t.same(
    replayOf(recent.ws).map((f) => f.event_seq),
    Array.from({ length: 10 }, (_, i) => total - 9 + i)
  )
})
