import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { assistants, workspaceMembers, workspaces } from '../src/db/schema.js'
import { newId, nowIso } from '../src/domain/clock.js'
import { build, signUp, v1Error, type Account } from './helper.js'

function makeAssistant(app: FastifyInstance, ownerId: string | null = null, status: 'active' | 'draft' = 'active'): string {
  const id = newId()
  const now = nowIso()
  app.database.db.insert(assistants).values({ id, ownerId, name: 'Helper', status, createdAt: now, updatedAt: now }).run()
  return id
}

async function send(
  app: FastifyInstance,
  who: Account,
  conversationId: string,
  content: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {}
) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conversationId}/messages`,
    headers: { ...who.auth, ...headers },
    payload: { content, ...extra }
  })
}

t.test('create, get, list, rename and delete a conversation with an assistant', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const assistantId = makeAssistant(app)

  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/conversations',
    headers: ada.auth,
    payload: { assistant_id: assistantId, title: 'Plans', initial_message: 'Hello, how can you help me?' }
  })
  t.equal(created.statusCode, 201)
  const conv = created.json()
  t.match(conv, { title: 'Plans', assistant_id: assistantId, is_ai: true, last_seq: 1, creator_id: ada.id, unread_count: 0 })
  t.equal(conv.messages.length, 1)
  t.match(conv.messages[0], { seq: 1, role: 'user', sender_id: ada.id, content: 'Hello, how can you help me?', status: 'completed' })
  t.same(
    conv.participants.map((p: { user_id: string }) => p.user_id),
    [ada.id]
  )

  const got = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}`, headers: ada.auth })
  t.equal(got.statusCode, 200)
  t.equal(got.json().id, conv.id)

  const renamed = await app.inject({ method: 'PATCH', url: `/api/v1/conversations/${conv.id}`, headers: ada.auth, payload: { title: 'Better plans' } })
  t.equal(renamed.json().title, 'Better plans')

  const noAssistant = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { assistant_id: newId() } })
  t.equal(noAssistant.statusCode, 404)
  t.equal(v1Error(noAssistant).error_code, 'ASSISTANT_NOT_FOUND')

  const other = makeAssistant(app)
  for (let i = 0; i < 3; i++) {
    await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { assistant_id: other, title: `t${i}` } })
  }
  const list = await app.inject({ method: 'GET', url: '/api/v1/conversations?size=2', headers: ada.auth })
  t.match(list.json(), { total: 4, size: 2, pages: 2, has_next: true })
  const filtered = await app.inject({ method: 'GET', url: `/api/v1/conversations?assistant_id=${other}`, headers: ada.auth })
  t.equal(filtered.json().total, 3)
  const byTitle = await app.inject({ method: 'GET', url: '/api/v1/conversations?sort=title:asc', headers: ada.auth })
  t.same(
    byTitle.json().items.map((c: { title: string }) => c.title),
    ['Better plans', 't0', 't1', 't2']
  )
  const badSort = await app.inject({ method: 'GET', url: '/api/v1/conversations?sort=secret:asc', headers: ada.auth })
  t.equal(badSort.statusCode, 422)

  const del = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.id}`, headers: ada.auth })
  t.equal(del.statusCode, 204)
  const gone = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}`, headers: ada.auth })
  t.equal(gone.statusCode, 404)
  const messagesGone = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages`, headers: ada.auth })
  t.equal(messagesGone.statusCode, 404)
})

t.test('strangers get 404 for everything; participants see; only the creator deletes', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const eve = await signUp(app)
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/conversations',
    headers: ada.auth,
    payload: { participant_ids: [bob.id], initial_message: 'hi bob' }
  })
  t.equal(created.statusCode, 201)
  const conv = created.json()
  t.equal(conv.is_ai, false, 'a conversation between people')

  const id = conv.id
  const msgId = conv.messages[0].id
  const attempts = [
    { method: 'GET' as const, url: `/api/v1/conversations/${id}` },
    { method: 'PATCH' as const, url: `/api/v1/conversations/${id}`, payload: { title: 'x' } },
    { method: 'DELETE' as const, url: `/api/v1/conversations/${id}` },
    { method: 'GET' as const, url: `/api/v1/conversations/${id}/messages` },
    { method: 'POST' as const, url: `/api/v1/conversations/${id}/messages`, payload: { content: 'let me in' } },
    { method: 'GET' as const, url: `/api/v1/conversations/${id}/messages/${msgId}` },
    { method: 'PATCH' as const, url: `/api/v1/conversations/${id}/messages/${msgId}`, payload: { content: 'x' } },
    { method: 'DELETE' as const, url: `/api/v1/conversations/${id}/messages/${msgId}` },
    { method: 'POST' as const, url: `/api/v1/conversations/${id}/read`, payload: { seq: 1 } },
    { method: 'GET' as const, url: `/api/v1/chat/${id}` },
    { method: 'GET' as const, url: `/api/v1/chat/${id}/messages` }
  ]
  for (const a of attempts) {
    const res = await app.inject({ ...a, headers: eve.auth })
    t.equal(res.statusCode, 404, `stranger: ${a.method} ${a.url}`)
    t.notOk(res.body.includes('hi bob'))
  }
  const list = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: eve.auth })
  t.equal(list.json().total, 0)

  const bobSees = await app.inject({ method: 'GET', url: `/api/v1/conversations/${id}`, headers: bob.auth })
  t.equal(bobSees.statusCode, 200)
  t.equal(bobSees.json().unread_count, 1)
  const bobDeletes = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${id}`, headers: bob.auth })
  t.equal(bobDeletes.statusCode, 403)
  t.equal(v1Error(bobDeletes).error_code, 'NOT_CONVERSATION_OWNER')

  const unknownParticipant = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [newId()] } })
  t.equal(unknownParticipant.statusCode, 422)
})

t.test('messages: seq, cursors, edit, delete, idempotency', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [bob.id] } })).json()

  for (let i = 1; i <= 10; i++) {
    const res = await send(app, i % 2 ? ada : bob, conv.id, `m${i}`)
    t.equal(res.statusCode, 201)
    t.equal(res.json().seq, i, 'seq counts 1, 2, 3, …')
  }
  const after = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages?after_seq=3&limit=4`, headers: ada.auth })
  t.same(
    after.json().items.map((m: { seq: number }) => m.seq),
    [4, 5, 6, 7]
  )
  t.equal(after.json().has_more, true)
  t.equal(after.json().last_seq, 10)
  const before = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages?before_seq=4`, headers: ada.auth })
  t.same(
    before.json().items.map((m: { seq: number }) => m.seq),
    [1, 2, 3]
  )
  t.equal(before.json().has_more, false)
  const latest = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages?limit=2`, headers: ada.auth })
  t.same(
    latest.json().items.map((m: { seq: number }) => m.seq),
    [9, 10]
  )
  t.equal(latest.json().has_more, true)

  const m1 = after.json().items[1] // seq 5, ada's
  const edit = await app.inject({
    method: 'PATCH',
    url: `/api/v1/conversations/${conv.id}/messages/${m1.id}`,
    headers: ada.auth,
    payload: { content: 'm5 (edited)' }
  })
  t.equal(edit.statusCode, 200)
  t.match(edit.json(), { content: 'm5 (edited)', seq: 5, edited_at: String })
  const notMine = await app.inject({
    method: 'PATCH',
    url: `/api/v1/conversations/${conv.id}/messages/${m1.id}`,
    headers: bob.auth,
    payload: { content: 'hijack' }
  })
  t.equal(notMine.statusCode, 403)
  t.equal(v1Error(notMine).error_code, 'NOT_MESSAGE_AUTHOR')
  const bobDel = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.id}/messages/${m1.id}`, headers: bob.auth })
  t.equal(bobDel.statusCode, 403)

  const del = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.id}/messages/${m1.id}`, headers: ada.auth })
  t.equal(del.statusCode, 204)
  const tomb = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages/${m1.id}`, headers: ada.auth })
  t.match(tomb.json(), { seq: 5, content: '', deleted_at: String }, 'a tombstone keeps its seq')
  const delAgain = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.id}/messages/${m1.id}`, headers: ada.auth })
  t.equal(delAgain.statusCode, 204, 'deleting twice is fine')
  const editDeleted = await app.inject({
    method: 'PATCH',
    url: `/api/v1/conversations/${conv.id}/messages/${m1.id}`,
    headers: ada.auth,
    payload: { content: 'back' }
  })
  t.equal(editDeleted.statusCode, 404)

  // client_msg_id: a retried send makes one message and answers the same.
  const a = await send(app, ada, conv.id, 'once', { client_msg_id: 'c-1' })
  const b = await send(app, ada, conv.id, 'once', { client_msg_id: 'c-1' })
  t.equal(a.statusCode, 201)
  t.equal(b.statusCode, 201)
  t.same(b.json(), a.json())
  t.equal(b.headers['idempotent-replayed'], 'true')
  // Idempotency-Key header.
  const k1 = await send(app, bob, conv.id, 'keyed', {}, { 'idempotency-key': 'k-1' })
  const k2 = await send(app, bob, conv.id, 'keyed', {}, { 'idempotency-key': 'k-1' })
  t.same(k2.json(), k1.json())
  const reused = await send(app, bob, conv.id, 'different body', {}, { 'idempotency-key': 'k-1' })
  t.equal(reused.statusCode, 409)
  t.equal(v1Error(reused).error_code, 'IDEMPOTENCY_KEY_REUSED')
  const history = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages?after_seq=10`, headers: ada.auth })
  t.same(
    history.json().items.map((m: { content: string }) => m.content),
    ['once', 'keyed'],
    'one message per key'
  )

  const empty = await send(app, ada, conv.id, '')
  t.equal(empty.statusCode, 422)
  const attach = await send(app, ada, conv.id, 'see file', { attachments: [{ type: 'file', url: 'https://example.com/file.pdf' }] })
  t.same(attach.json().attachments, [{ type: 'file', url: 'https://example.com/file.pdf' }])
  const badAttach = await send(app, ada, conv.id, 'x', { attachments: [{ url: 'https://example.com' }] })
  t.equal(badAttach.statusCode, 422)
})

t.test('seq stays gapless and unique under concurrent sends', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: {} })).json()
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => send(app, ada, conv.id, `n${i}`)))
  const seqs = results.map((r) => r.json().seq).sort((x: number, y: number) => x - y)
  t.same(
    seqs,
    Array.from({ length: 50 }, (_, i) => i + 1)
  )
})

t.test('read state and unread counts', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [bob.id] } })).json()
  for (let i = 0; i < 5; i++) await send(app, ada, conv.id, `m${i}`)
  const list = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: bob.auth })
  t.equal(list.json().items[0].unread_count, 5)
  const adaList = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: ada.auth })
  t.equal(adaList.json().items[0].unread_count, 0, "one's own messages are read")

  const read = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv.id}/read`, headers: bob.auth, payload: { seq: 3 } })
  t.same(read.json(), { last_read_seq: 3, unread_count: 2 })
  const back = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv.id}/read`, headers: bob.auth, payload: { seq: 1 } })
  t.same(back.json(), { last_read_seq: 3, unread_count: 2 }, 'the mark never moves back')
  const past = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv.id}/read`, headers: bob.auth, payload: { seq: 999 } })
  t.same(past.json(), { last_read_seq: 5, unread_count: 0 }, 'capped at the last seq')
  await send(app, bob, conv.id, 'reply')
  const detail = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}`, headers: ada.auth })
  t.equal(detail.json().unread_count, 1)
  t.same(
    detail.json().participants.map((p: { user_id: string; last_read_seq: number }) => [p.user_id, p.last_read_seq]),
    [
      [ada.id, 5],
      [bob.id, 6]
    ]
  )
})

t.test('workspace conversations are visible to workspace members', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const vic = await signUp(app)
  const eve = await signUp(app)
  const wsId = newId()
  const now = nowIso()
  const db = app.database.db
  db.insert(workspaces).values({ id: wsId, ownerId: ada.id, name: 'Team', createdAt: now, updatedAt: now }).run()
  db.insert(workspaceMembers)
    .values([
      { workspaceId: wsId, userId: ada.id, role: 'owner', createdAt: now },
      { workspaceId: wsId, userId: bob.id, role: 'member', createdAt: now },
      { workspaceId: wsId, userId: vic.id, role: 'viewer', createdAt: now }
    ])
    .run()

  const conv = (
    await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { workspace_id: wsId, initial_message: 'team note' } })
  ).json()
  t.equal(conv.workspace_id, wsId)
  const bobSees = await app.inject({ method: 'GET', url: `/api/v1/conversations?workspace_id=${wsId}`, headers: bob.auth })
  t.equal(bobSees.json().total, 1)
  const bobPosts = await send(app, bob, conv.id, 'member reply')
  t.equal(bobPosts.statusCode, 201)
  const vicReads = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages`, headers: vic.auth })
  t.equal(vicReads.statusCode, 200)
  const vicPosts = await send(app, vic, conv.id, 'viewer reply')
  t.equal(vicPosts.statusCode, 403, 'viewers read but do not post')
  const eveTries = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}`, headers: eve.auth })
  t.equal(eveTries.statusCode, 404)
  const eveCreates = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: eve.auth, payload: { workspace_id: wsId } })
  t.equal(eveCreates.statusCode, 404)
  const bobDeletes = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.id}`, headers: bob.auth })
  t.equal(bobDeletes.statusCode, 403)
  const ws = db.select().from(workspaces).all()[0]
  t.type(ws?.lastActivityAt, 'string', 'activity is recorded on the workspace')
})

t.test('idempotent conversation creation', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const headers = { ...ada.auth, 'idempotency-key': 'new-conv-1' }
  const a = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: { title: 'once', initial_message: 'hi' } })
  const b = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: { title: 'once', initial_message: 'hi' } })
  t.equal(b.statusCode, 201)
  t.same(b.json(), a.json())
  const list = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: ada.auth })
  t.equal(list.json().total, 1)
})

t.test('chats are conversations with a model', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const eve = await signUp(app)
  const created = await app.inject({ method: 'POST', url: '/api/v1/chat', headers: ada.auth, payload: { model_id: 'gpt-4', model_api_source: 'openai' } })
  t.equal(created.statusCode, 201)
  const chat = created.json()
  t.match(chat, { user_id: ada.id, current_model_id: 'gpt-4', current_model_api_source: 'openai', files: [] })
  t.type(chat.chat_id, 'string')
  t.type(chat.created_timestamp, 'string')

  await send(app, ada, chat.chat_id, 'hello chat')
  const msgs = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}/messages`, headers: ada.auth })
  t.equal(msgs.statusCode, 200)
  t.match(msgs.json().items[0], { chat_id: chat.chat_id, role: 'user', content: 'hello chat', files: [] })
  t.type(msgs.json().items[0].message_id, 'string')
  t.type(msgs.json().items[0].timestamp, 'string')

  const list = await app.inject({ method: 'GET', url: '/api/v1/chat', headers: ada.auth })
  t.match(list.json(), { total: 1, page: 1 })
  const got = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}`, headers: ada.auth })
  t.same(got.json(), chat)

  const eveGet = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}`, headers: eve.auth })
  t.equal(eveGet.statusCode, 404)
  t.equal(v1Error(eveGet).error_code, 'CHAT_NOT_FOUND')
  const eveDel = await app.inject({ method: 'DELETE', url: `/api/v1/chat/${chat.chat_id}`, headers: eve.auth })
  t.equal(eveDel.statusCode, 404)

  const bad = await app.inject({ method: 'POST', url: '/api/v1/chat', headers: ada.auth, payload: { model_id: 'gpt-4' } })
  t.equal(bad.statusCode, 422)
  const del = await app.inject({ method: 'DELETE', url: `/api/v1/chat/${chat.chat_id}`, headers: ada.auth })
  t.equal(del.statusCode, 204)
  const after = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}/messages`, headers: ada.auth })
  t.equal(after.statusCode, 404)
})

t.test('stored idempotent answers are forgotten after a day', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: {} })).json()
  await send(app, ada, conv.id, 'keyed', {}, { 'idempotency-key': 'old' })
  await send(app, ada, conv.id, 'keyed', {}, { 'idempotency-key': 'new' })
  const { idempotencyKeys } = await import('../src/db/schema.js')
  const { eq } = await import('drizzle-orm')
  app.database.db
    .update(idempotencyKeys)
    .set({ createdAt: new Date(Date.now() - 25 * 3600_000).toISOString() })
    .where(eq(idempotencyKeys.key, 'old'))
    .run()
  t.equal(app.services.conversations.pruneIdempotencyKeys(), 1)
  t.same(app.database.db.select({ key: idempotencyKeys.key }).from(idempotencyKeys).all(), [{ key: 'new' }])
})
