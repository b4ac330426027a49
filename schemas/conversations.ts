import { type Static, Type } from '@sinclair/typebox'
import { PageOf, PageQuery, Timestamp, ref, StringEnum, Uuid, example } from './common.js'

const Nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()])

export const Attachment = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 50, description: '`file`, `image`, `link`, …', examples: ['file'] }),
    url: Type.Optional(Type.String({ maxLength: 2048, format: 'uri' })),
    file_id: Type.Optional(Uuid),
    name: Type.Optional(Type.String({ maxLength: 255 })),
    content_type: Type.Optional(Type.String({ maxLength: 255, description: 'Set by the server for stored files.' })),
    size: Type.Optional(Type.Integer({ minimum: 0, description: 'Bytes; set by the server for stored files.' }))
  },
  { $id: 'Attachment', additionalProperties: false, description: 'A stored file (`file_id`, from an upload) or a link (`url`).' }
)

/** A `tool` message's record of the call the assistant made: its arguments are in `content` too. */
export const ToolCallMade = Type.Object(
  {
    kind: Type.Literal('call'),
    id: Type.String({ description: "The model's id for the call; its result carries the same." }),
    name: Type.String({ description: 'The tool called.' }),
    arguments: Type.String({ description: 'The arguments, as the JSON text the model wrote.' })
  },
  { $id: 'ToolCallMade', additionalProperties: false, description: 'A tool call the assistant made.' }
)

/** A `tool` message's record of a call's result: the result itself is the message's `content`. */
export const ToolCallResult = Type.Object(
  {
    kind: Type.Literal('result'),
    id: Type.String({ description: 'The id of the call this answers.' }),
    name: Type.String({ description: 'The tool that was called.' }),
    is_error: Type.Boolean({ description: 'true when the tool failed: `content` says how.' })
  },
  { $id: 'ToolCallResult', additionalProperties: false, description: 'The result of a tool call, given back to the model.' }
)

export const MessageRole = StringEnum(['user', 'assistant', 'system', 'tool'], { $id: 'MessageRole' })
export const MessageStatus = StringEnum(['pending', 'streaming', 'completed', 'failed', 'cancelled'], { $id: 'MessageStatus' })

export const Message = example(
  Type.Object(
    {
      id: Uuid,
      conversation_id: Uuid,
      seq: Type.Integer({ minimum: 1, description: 'Position in the conversation: 1, 2, 3, … Orders messages and makes cursors.' }),
      role: ref(MessageRole),
      sender_id: Nullable(Uuid),
      content: Type.String({ description: 'Empty for a deleted message (a tombstone).' }),
      attachments: Type.Array(ref(Attachment)),
      status: ref(MessageStatus),
      tool_call: Type.Union([ref(ToolCallMade), ref(ToolCallResult), Type.Null()], {
        description: 'The call or the result a `tool` message records; null for every other message.'
      }),
      client_msg_id: Nullable(Type.String()),
      created_at: Timestamp,
      updated_at: Timestamp,
      edited_at: Nullable(Timestamp),
      deleted_at: Nullable(Timestamp)
    },
    { $id: 'Message', additionalProperties: false }
  ),
  {
    id: '01936f3c-4c31-7d66-a043-5e7f8091a2b4',
    conversation_id: '01936f3c-3b20-7c55-8f32-4d6e7f8091a2',
    seq: 2,
    role: 'assistant',
    sender_id: null,
    content: 'You said: "What is 6 times 8?"',
    attachments: [],
    status: 'completed',
    tool_call: null,
    client_msg_id: null,
    created_at: '2024-01-15T10:31:12.000Z',
    updated_at: '2024-01-15T10:31:14.000Z',
    edited_at: null,
    deleted_at: null
  }
)

/** The example reply, which the examples of conversations and histories show. */
const replyExample = (Message.examples as Static<typeof Message>[])[0]!

export const Participant = Type.Object(
  { user_id: Uuid, last_read_seq: Type.Integer({ minimum: 0 }), joined_at: Timestamp },
  { $id: 'Participant', additionalProperties: false }
)

/** What the examples of a conversation share. */
const conversationExample = {
  id: '01936f3c-3b20-7c55-8f32-4d6e7f8091a2',
  title: 'Sums',
  assistant_id: '01936f3c-2a10-7b44-9e21-3c5d6e7f8a90',
  workspace_id: null,
  creator_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d',
  is_ai: true,
  last_seq: 2,
  last_message_at: '2024-01-15T10:31:12.000Z',
  unread_count: 0,
  model_id: 'offline',
  model_api_source: 'offline',
  created_at: '2024-01-15T10:30:00.000Z',
  updated_at: '2024-01-15T10:31:12.000Z'
}

const conversationFields = {
  id: Uuid,
  title: Nullable(Type.String()),
  assistant_id: Nullable(Uuid),
  workspace_id: Nullable(Uuid),
  creator_id: Type.Union([Uuid, Type.Null()], { description: 'Null once the creator’s account is deleted' }),
  is_ai: Type.Boolean({ description: 'true for a conversation with an assistant, false between people.' }),
  last_seq: Type.Integer({ minimum: 0, description: 'The seq of the newest message.' }),
  last_message_at: Nullable(Timestamp),
  unread_count: Type.Integer({ minimum: 0, description: "Others' messages after the caller's read mark." }),
  model_id: Nullable(Type.String()),
  model_api_source: Nullable(Type.String()),
  created_at: Timestamp,
  updated_at: Timestamp
}

export const Conversation = example(Type.Object(conversationFields, { $id: 'Conversation', additionalProperties: false }), conversationExample)

export const ConversationDetail = example(
  Type.Object(
    {
      ...conversationFields,
      participants: Type.Array(ref(Participant)),
      messages: Type.Array(ref(Message), { description: 'The latest messages, oldest first (at most 50).' })
    },
    { $id: 'ConversationDetail', additionalProperties: false }
  ),
  {
    ...conversationExample,
    participants: [{ user_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', last_read_seq: 2, joined_at: '2024-01-15T10:30:00.000Z' }],
    messages: [
      {
        ...replyExample,
        id: '01936f3c-4c30-7d66-a043-5e7f8091a2b3',
        seq: 1,
        role: 'user',
        sender_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d',
        content: 'What is 6 times 8?',
        created_at: '2024-01-15T10:30:00.000Z',
        updated_at: '2024-01-15T10:30:00.000Z'
      },
      replyExample
    ]
  }
)

export const ConversationPage = PageOf(Conversation, 'ConversationPage')

export const CreateConversationRequest = example(
  Type.Object(
    {
      assistant_id: Type.Optional(Nullable(Uuid)),
      title: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
      initial_message: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 32000 }))),
      workspace_id: Type.Optional(Nullable(Uuid)),
      participant_ids: Type.Optional(Type.Array(Uuid, { maxItems: 100, uniqueItems: true, description: 'Other people in the conversation.' })),
      is_ai: Type.Optional(Type.Boolean({ description: 'Defaults to true with an assistant or no other participant.' }))
    },
    { $id: 'CreateConversationRequest', additionalProperties: false }
  ),
  { title: 'A weekend in Lisbon', initial_message: 'Hello! Can you help me plan a weekend in Lisbon?' }
)

export const UpdateConversationRequest = example(
  Type.Object({ title: Type.Optional(Nullable(Type.String({ maxLength: 200 }))) }, { $id: 'UpdateConversationRequest', additionalProperties: false }),
  { title: 'Lisbon in May' }
)

export const ListConversationsQuery = Type.Composite([PageQuery, Type.Object({ assistant_id: Type.Optional(Uuid), workspace_id: Type.Optional(Uuid) })])

export const ConversationIdParams = Type.Object({ conversation_id: Uuid })
export const MessageIdParams = Type.Object({ conversation_id: Uuid, message_id: Uuid })

export const SendMessageRequest = example(
  Type.Object(
    {
      content: Type.String({ minLength: 1, maxLength: 32000 }),
      attachments: Type.Optional(Type.Array(ref(Attachment), { maxItems: 20 })),
      client_msg_id: Type.Optional(
        Type.String({ minLength: 1, maxLength: 100, description: 'Your id for this message: a retried send with the same id makes one message.' })
      )
    },
    { $id: 'SendMessageRequest', additionalProperties: false }
  ),
  { content: 'What is 6 times 7?' }
)

export const EditMessageRequest = example(
  Type.Object({ content: Type.String({ minLength: 1, maxLength: 32000 }) }, { $id: 'EditMessageRequest', additionalProperties: false }),
  { content: 'What is 6 times 8?' }
)

export const HistoryQuery = Type.Object({
  after_seq: Type.Optional(Type.Integer({ minimum: 0, description: 'Messages after this seq, oldest first.' })),
  before_seq: Type.Optional(Type.Integer({ minimum: 1, description: 'Messages before this seq (the newest of them), oldest first.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 }))
})

export const MessageHistory = example(
  Type.Object(
    {
      items: Type.Array(ref(Message)),
      has_more: Type.Boolean({ description: 'More messages lie beyond this page in the direction of the cursor.' }),
      last_seq: Type.Integer({ minimum: 0 })
    },
    { $id: 'MessageHistory', additionalProperties: false }
  ),
  { items: [replyExample], has_more: true, last_seq: 2 }
)

export const MarkReadRequest = example(
  Type.Object(
    { seq: Type.Integer({ minimum: 0, description: 'The newest seq the caller has read.' }) },
    { $id: 'MarkReadRequest', additionalProperties: false }
  ),
  { seq: 1 }
)

export const ReadState = Type.Object(
  { last_read_seq: Type.Integer({ minimum: 0 }), unread_count: Type.Integer({ minimum: 0 }) },
  { $id: 'ReadState', additionalProperties: false }
)

export const CancelledReplies = Type.Object(
  { cancelled: Type.Integer({ minimum: 0, description: 'How many replies (running or queued) were cancelled.' }) },
  { $id: 'CancelledReplies', additionalProperties: false }
)

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Retry-safe key: the same key twice makes one thing and returns the first answer.' })
  )
})
