import { Type } from '@sinclair/typebox'
import { PageOf, PageQuery, Timestamp, ref, StringEnum, Uuid, example } from './common.js'

import { TEST_EVENT, WEBHOOK_EVENTS } from '../src/domain/webhooks.js'

export const WebhookEventName = StringEnum(WEBHOOK_EVENTS, { $id: 'WebhookEventName', description: 'An event a webhook can subscribe to.' })

const WebhookUrl = Type.String({
  format: 'uri',
  pattern: '^https?://',
  maxLength: 2048,
  description: 'Where deliveries are POSTed. Private, loopback and link-local addresses are refused unless the server allows them.',
  examples: ['https://example.com/hooks/assistant']
})
const Secret = Type.String({
  minLength: 8,
  maxLength: 256,
  description:
    'The signing secret. A `whsec_` + base64 secret is used as Standard Webhooks defines; any other string is used as raw bytes ' +
    '(verify with `new Webhook(secret, { format: "raw" })`).'
})
const Events = Type.Array(ref(WebhookEventName), { minItems: 1, uniqueItems: true, description: 'The events to deliver.' })
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()])

/** What the examples of a webhook share. */
const webhookExample = {
  id: '01936f3c-8070-7baa-a487-92a3b4c5d6e7',
  url: 'https://example.com/hooks/assistant',
  events: ['conversation.created' as const],
  description: 'New conversations to the CRM',
  is_active: true,
  consecutive_failures: 0,
  disabled_at: null,
  disabled_reason: null,
  created_at: '2024-01-15T10:30:00.000Z',
  updated_at: '2024-01-15T10:30:00.000Z'
}

const webhookFields = {
  id: Uuid,
  url: Type.String(),
  events: Type.Array(ref(WebhookEventName)),
  description: Type.Union([Type.String(), Type.Null()]),
  is_active: Type.Boolean({ description: 'false when turned off by its owner or disabled after repeated failures.' }),
  consecutive_failures: Type.Integer({ minimum: 0, description: 'Failed deliveries in a row; past a bound the webhook is disabled.' }),
  disabled_at: Type.Union([Timestamp, Type.Null()]),
  disabled_reason: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp
}

export const Webhook = example(Type.Object(webhookFields, { $id: 'Webhook', additionalProperties: false }), webhookExample)

export const CreatedWebhook = example(
  Type.Object(
    {
      ...webhookFields,
      secret: Type.String({ description: 'The signing secret: shown in this response only.' })
    },
    { $id: 'CreatedWebhook', additionalProperties: false }
  ),
  { ...webhookExample, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }
)

export const WebhookPage = PageOf(Webhook, 'WebhookPage')

export const CreateWebhookRequest = example(
  Type.Object(
    {
      url: WebhookUrl,
      events: Events,
      secret: Type.Optional(Secret),
      description: Type.Optional(Description),
      is_active: Type.Optional(Type.Boolean({ default: true }))
    },
    { $id: 'CreateWebhookRequest', additionalProperties: false }
  ),
  { url: 'https://example.com/hooks/assistant', events: ['conversation.created', 'message.received'], description: 'Our CRM' }
)

export const UpdateWebhookRequest = example(
  Type.Object(
    {
      url: Type.Optional(WebhookUrl),
      events: Type.Optional(Events),
      secret: Type.Optional(Secret),
      description: Type.Optional(Description),
      is_active: Type.Optional(Type.Boolean({ description: 'true re-enables a webhook disabled after failures.' }))
    },
    { $id: 'UpdateWebhookRequest', additionalProperties: false }
  ),
  { events: ['message.received'], description: 'Our CRM, messages only' }
)

const NullableId = Type.Union([Uuid, Type.Null()])

/** What a delivery POSTs to a webhook's URL. */
export const WebhookPayload = Type.Object(
  {
    event: StringEnum([...WEBHOOK_EVENTS, TEST_EVENT], { description: 'The event, or `webhook.test` for a test delivery.' }),
    timestamp: Timestamp,
    // Typed loosely: what `data` holds depends on the event.
    data: Type.Unsafe<Record<string, unknown>>(
      Type.Object(
        {
          user_id: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'The user the event is about, or who caused it.' })),
          conversation_id: Type.Optional(Uuid),
          assistant_id: Type.Optional(NullableId),
          workspace_id: Type.Optional(NullableId),
          message_id: Type.Optional(Uuid),
          webhook_id: Type.Optional(Uuid),
          seq: Type.Optional(Type.Integer({ minimum: 1, description: "The message's seq in its conversation." })),
          status: Type.Optional(Type.String({ description: 'The assistant status of `assistant.status_changed`.' })),
          user: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'The user, as `GET /api/v1/users/{user_id}` shows it.' })),
          conversation: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'The conversation, without its messages.' })),
          message: Type.Optional(
            Type.Union([Type.String(), Type.Object({}, { additionalProperties: true })], {
              description: 'The message received (an object, as `GET …/messages/{message_id}` shows it), or the text of a test delivery.'
            })
          )
        },
        {
          additionalProperties: true,
          description: 'What the event is about: the ids of what it concerns, and the object itself where there is one.'
        }
      )
    )
  },
  { $id: 'WebhookPayload', additionalProperties: false }
)

export const WebhookDelivery = Type.Object(
  {
    id: Uuid,
    webhook_id: Uuid,
    message_id: Type.String({ description: 'The `webhook-id` header: the same on every attempt, so receivers can drop duplicates.' }),
    event: Type.String({ description: 'The event name, or `webhook.test` for a test ping.' }),
    status: StringEnum(['pending', 'succeeded', 'failed']),
    attempts: Type.Integer({ minimum: 0 }),
    next_attempt_at: Type.Union([Timestamp, Type.Null()], { description: 'When a pending delivery is tried next.' }),
    last_status_code: Type.Union([Type.Integer(), Type.Null()]),
    last_error: Type.Union([Type.String(), Type.Null()]),
    last_duration_ms: Type.Union([Type.Integer(), Type.Null()]),
    delivered_at: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
    payload: ref(WebhookPayload, 'The body delivered.')
  },
  { $id: 'WebhookDelivery', additionalProperties: false }
)

export const WebhookDeliveryPage = PageOf(WebhookDelivery, 'WebhookDeliveryPage')

export const WebhookIdParams = Type.Object({ webhook_id: Uuid })
export const WebhookDeliveryParams = Type.Object({ webhook_id: Uuid, delivery_id: Uuid })
export const ListDeliveriesQuery = Type.Object({
  ...PageQuery.properties,
  status: Type.Optional(StringEnum(['pending', 'succeeded', 'failed']))
})
