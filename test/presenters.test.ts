import t from 'tap'
import { Conversation, ConversationDetail, Message, MessageHistory } from '../schemas/conversations.js'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import type { ConversationSummary } from '../src/domain/conversations.js'
import type { DomainEvent, EventBus, MessageRecord, UserRecord } from '../src/domain/events.js'
import { presentConversation, presentMessage, presentUser, v1RecordPresenters } from '../src/http/v1/presenters.js'
import { InProcessEventBus } from '../src/realtime/bus.js'
import { User } from '../schemas/users.js'
import { signUp } from './helper.js'
import { connect, type Frame } from './ws-helper.js'

/** A field the domain might add to a record one day: v1 must not show it until it chooses to. */
const EXTRA = 'internal_note'

function keysOf(schema: { properties: Record<string, unknown> }): string[] {
  return Object.keys(schema.properties).sort()
}

const message: MessageRecord = {
  id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d',
  conversation_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0e',
  seq: 3,
  role: 'user',
  sender_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0f',
  content: 'hello',
  attachments: [{ type: 'link', url: 'https://example.com/' }],
  status: 'completed',
  tool_call: null,
  client_msg_id: null,
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
  edited_at: null,
  deleted_at: null
}

t.test("v1's presenters pick v1's fields: a new field of a record does not reach the wire", async (t) => {
  const m = presentMessage({
    ...message,
    [EXTRA]: 'secret',
    attachments: [{ type: 'link', url: 'https://example.com/', [EXTRA]: 'x' } as never]
  } as MessageRecord)
  t.same(Object.keys(m).sort(), keysOf(Message), "a message has exactly v1's Message fields")
  t.same(m.attachments, [{ type: 'link', url: 'https://example.com/' }], 'an attachment has only the keys it was given')
  t.same(m, { ...message }, 'the fields v1 shows are the record’s own')

  const user: UserRecord = {
    id: message.sender_id!,
    email: 'ada@example.com',
    full_name: null,
    role: 'user',
    is_active: true,
    created_at: message.created_at,
    updated_at: message.updated_at
  }
  const u = presentUser({ ...user, [EXTRA]: 'secret' } as UserRecord)
  t.same(Object.keys(u).sort(), keysOf(User))

  const summary: ConversationSummary = {
    id: message.conversation_id,
    title: null,
    assistant_id: null,
    workspace_id: null,
    creator_id: user.id,
    is_ai: false,
    last_seq: 3,
    created_at: message.created_at,
    updated_at: message.updated_at,
    last_message_at: message.created_at,
    unread_count: 0,
    model_id: null,
    model_api_source: null
  }
  const c = presentConversation({ ...summary, [EXTRA]: 'secret' } as ConversationSummary)
  t.same(Object.keys(c).sort(), keysOf(Conversation))
  t.notOk(EXTRA in (v1RecordPresenters.conversation({ ...summary, [EXTRA]: 'x' } as never) as object), 'nor in what events and webhooks carry')
})

/** A bus that hands every listener message records with one more field, as a domain that grew one would. */
function growingBus(): EventBus {
  const inner = new InProcessEventBus()
  return {
    subscribe: (listener) => inner.subscribe(listener),
    publish(e: DomainEvent) {
      inner.publish('message' in e && typeof e.message === 'object' ? ({ ...e, message: { ...e.message, [EXTRA]: 'secret' } } as unknown as DomainEvent) : e)
    }
  }
}

t.test('a /ws frame and the HTTP answer show the same message, and neither shows a new field', async (t) => {
  const app = await buildApp({ config: testConfig({ webhookAllowPrivate: true }), events: growingBus() })
  t.teardown(() => app.close())
  await app.ready()
  const ada = await signUp(app)
  const bob = await signUp(app)
  // The domain's answers grow the field too.
  const conversations = app.services.conversations
  const getMessage = conversations.getMessage.bind(conversations)
  conversations.getMessage = (...args) => ({ ...getMessage(...args), [EXTRA]: 'secret' }) as MessageRecord

  const hook = await app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: bob.auth,
    payload: { url: 'http://127.0.0.1:9/hook', events: ['message.received'] }
  })
  t.equal(hook.statusCode, 201)
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [bob.id] } })).json()
  const ws = await connect(app, { token: bob.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: conv.id })
  await ws.type('subscribed')

  const sent = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conv.id}/messages`,
    headers: ada.auth,
    payload: { content: 'hello bob', attachments: [{ type: 'link', url: 'https://example.com/' }] }
  })
  t.equal(sent.statusCode, 201)
  const created = await ws.type('message.created')
  const fromWs = created.message as Frame
  t.notOk(EXTRA in fromWs, 'the /ws frame does not carry the new field')
  t.same(fromWs, sent.json(), 'the frame’s message is the HTTP answer, field for field')
  t.same(Object.keys(fromWs).sort(), keysOf(Message), "the frame's message has exactly v1's Message fields")

  const got = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages/${fromWs.id}`, headers: bob.auth })
  t.equal(got.statusCode, 200)
  t.notOk(EXTRA in got.json(), 'the HTTP answer does not carry it either')
  t.same(got.json(), fromWs, 'GET shows the message as the frame did')

  // Replayed frames (resubscribe after seq 0) show it the same way.
  const again = await connect(app, { token: bob.token })
  t.teardown(() => again.close())
  again.send({ type: 'subscribe', conversation_id: conv.id, after_seq: 0 })
  t.same((await again.type('message.created')).message, fromWs, 'a replayed frame shows the same message')

  // The webhook payload of the same message has the same shape.
  const deliveries = await app.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.json().id}/deliveries`, headers: bob.auth })
  const payload = deliveries.json().items[0]?.payload as { data: { message: Frame } }
  t.same(payload.data.message, fromWs, 'the webhook payload carries the message as /ws and HTTP show it')

  // Detail and history, through their own presenters, show the same message.
  const detail = (await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}`, headers: bob.auth })).json()
  t.same(Object.keys(detail).sort(), keysOf(ConversationDetail))
  t.same(detail.messages[0], fromWs)
  const history = (await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages?after_seq=0`, headers: bob.auth })).json()
  t.same(Object.keys(history).sort(), keysOf(MessageHistory))
  t.same(history.items[0], fromWs)
})
