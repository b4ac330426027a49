import { type TSchema, Type } from '@sinclair/typebox'
import { Attachment, Message } from './conversations.js'
import { Uuid } from './common.js'

/**
 * WebSocket frames of `/ws`: JSON objects `{ "type": ..., ... }`. Client frames are validated
 * with these schemas; server frames are built to them. The AsyncAPI document is generated from
 * this file. Frames embed other schemas inline (not by `$ref`) so each frame stands alone.
 */

const conversation_id = Uuid
const Seq = Type.Integer({ minimum: 0, description: 'The conversation seq this event belongs to.' })
const EventSeq = Type.Integer({
  minimum: 1,
  description:
    "This event's place in its conversation's event sequence (1, 2, 3, ...): every conversation event takes the next number. Resume with `subscribe` `after_event_seq` set to the highest you have seen."
})
/** On frames that are sometimes not an event of the sequence (a stored message replayed by `after_seq`, an answer to your own frame). */
const MaybeEventSeq = Type.Optional(EventSeq)
const RequestId = Type.String({ minLength: 1, maxLength: 100, description: 'Echoed in the answer (ack or error).' })
const frame = <K extends string, T extends Record<string, TSchema>>(type: K, props: T, description: string) =>
  Type.Object({ type: Type.Literal(type), ...props }, { $id: frameId(type), description, additionalProperties: false })

function frameId(type: string): string {
  return (
    'WsFrame' +
    type
      .split(/[._]/)
      .map((p) => p[0]!.toUpperCase() + p.slice(1))
      .join('')
  )
}

// ---- client → server ----

export const AuthFrame = frame(
  'auth',
  { token: Type.String({ minLength: 1, maxLength: 4096 }) },
  'Authenticate with an access token or API key (when no header or ticket was used). Must come within a few seconds of connecting.'
)
export const SubscribeFrame = frame(
  'subscribe',
  {
    conversation_id,
    after_seq: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Replay every message after this seq first (as `message.created`, in its state now), then go live: no gap, no duplicate.'
      })
    ),
    after_event_seq: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Replay every conversation event after this `event_seq` first, in order (messages created, edited, deleted, replies finished, read marks, assistant status), then go live: no gap, no duplicate. Not with `after_seq`.'
      })
    ),
    request_id: Type.Optional(RequestId)
  },
  'Receive the events of a conversation. With `after_seq` or `after_event_seq`, first what was missed.'
)
export const UnsubscribeFrame = frame('unsubscribe', { conversation_id, request_id: Type.Optional(RequestId) }, 'Stop receiving the events of a conversation.')
export const TypingClientFrame = frame(
  'typing',
  { conversation_id, is_typing: Type.Optional(Type.Boolean({ default: true })) },
  'Tell the other subscribers that you are typing.'
)
export const ReadClientFrame = frame(
  'read',
  { conversation_id, seq: Type.Integer({ minimum: 0 }), request_id: Type.Optional(RequestId) },
  'Mark the conversation read up to a seq.'
)
export const MessageSendFrame = frame(
  'message.send',
  {
    conversation_id,
    content: Type.String({ minLength: 1, maxLength: 32000 }),
    attachments: Type.Optional(Type.Array(Attachment, { maxItems: 20 })),
    client_msg_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Retry-safe: the same id makes one message.' })),
    request_id: Type.Optional(RequestId)
  },
  'Send a message (the same rules as the HTTP send, including idempotency). Answered by `message.ack` or `error`.'
)
export const PingFrame = frame('ping', { request_id: Type.Optional(RequestId) }, 'Answered by `pong`.')

export const ClientFrames = [AuthFrame, SubscribeFrame, UnsubscribeFrame, TypingClientFrame, ReadClientFrame, MessageSendFrame, PingFrame]
export const ClientFrame = Type.Union(ClientFrames)

// ---- server → client ----

export const ReadyFrame = frame('ready', { user_id: Uuid, connection_id: Type.String() }, 'The connection is authenticated.')
export const SubscribedFrame = frame(
  'subscribed',
  {
    conversation_id,
    last_seq: Seq,
    last_event_seq: Type.Integer({ minimum: 0, description: "The conversation's newest `event_seq`: live events go on from the next." }),
    replayed: Type.Integer({ minimum: 0, description: 'How many missed messages (`after_seq`) or events (`after_event_seq`) were sent before this frame.' }),
    replay_truncated: Type.Boolean({
      description:
        'More were missed than a replay sends. After `after_seq`: the first ones were sent; fetch the rest with `GET …/messages?after_seq=`. After `after_event_seq`: none were sent; reload the messages over HTTP (`GET …/messages`) and go on from `last_event_seq`.'
    }),
    request_id: Type.Optional(RequestId)
  },
  'Subscribed; live events follow.'
)
export const UnsubscribedFrame = frame('unsubscribed', { conversation_id, request_id: Type.Optional(RequestId) }, 'Unsubscribed.')
export const MessageCreatedFrame = frame(
  'message.created',
  { conversation_id, seq: Seq, event_seq: MaybeEventSeq, message: Message },
  'A new message. A message replayed by `after_seq` is a stored message, without `event_seq`.'
)
export const MessageUpdatedFrame = frame('message.updated', { conversation_id, seq: Seq, event_seq: EventSeq, message: Message }, 'A message was edited.')
export const MessageDeletedFrame = frame(
  'message.deleted',
  { conversation_id, seq: Seq, event_seq: EventSeq, message: Message },
  'A message was deleted; `message` is its tombstone.'
)
export const MessageAckFrame = frame(
  'message.ack',
  { request_id: Type.Optional(RequestId), created: Type.Boolean(), message: Message },
  'Answer to `message.send`.'
)
export const ConversationUpdateFrame = frame(
  'conversation_update',
  {
    conversation_id,
    seq: Seq,
    event_seq: MaybeEventSeq,
    action: Type.Unsafe<'created' | 'updated' | 'deleted' | 'new_message'>({ type: 'string', enum: ['created', 'updated', 'deleted', 'new_message'] }),
    title: Type.Optional(Type.Union([Type.String(), Type.Null()]))
  },
  'A conversation of yours changed, or got a message while you were not subscribed to it (`event_seq` is that of the change or message; a deletion has none).'
)
export const TypingFrame = frame('typing', { conversation_id, seq: Seq, user_id: Uuid, is_typing: Type.Boolean() }, 'Someone is typing.')
export const PresenceFrame = frame(
  'presence',
  {
    conversation_id,
    seq: Seq,
    user_id: Uuid,
    status: Type.Unsafe<'user_joined' | 'user_left'>({ type: 'string', enum: ['user_joined', 'user_left'] })
  },
  'Someone started or stopped watching the conversation.'
)
export const ReadFrame = frame(
  'read',
  {
    conversation_id,
    seq: Seq,
    event_seq: MaybeEventSeq,
    user_id: Uuid,
    last_read_seq: Type.Integer({ minimum: 0 }),
    request_id: Type.Optional(RequestId)
  },
  "A participant's read mark moved. The answer to your own `read` has no `event_seq` when the mark did not move."
)
export const MessageDeltaFrame = frame(
  'message.delta',
  { conversation_id, seq: Seq, message_id: Uuid, index: Type.Integer({ minimum: 0, description: 'Chunk index, from 0.' }), delta: Type.String() },
  "A chunk of an assistant's reply being streamed. Chunks are live only, not in the event sequence: a replay sends the message with what it has streamed so far."
)
export const MessageCompletedFrame = frame(
  'message.completed',
  { conversation_id, seq: Seq, event_seq: EventSeq, message: Message },
  "An assistant's reply is complete (or failed, or was cancelled: see `message.status`)."
)
export const AssistantStatusFrame = frame(
  'assistant_status',
  {
    conversation_id,
    seq: Seq,
    event_seq: EventSeq,
    assistant_id: Type.Union([Uuid, Type.Null()]),
    status: Type.Unsafe<'thinking' | 'streaming' | 'idle'>({ type: 'string', enum: ['thinking', 'streaming', 'idle'] })
  },
  'The assistant is thinking, streaming or idle.'
)
export const SystemNotificationFrame = frame(
  'system_notification',
  { level: Type.Unsafe<'info' | 'warning'>({ type: 'string', enum: ['info', 'warning'] }), message: Type.String() },
  'A notice from the service (e.g. shutting down).'
)
export const ErrorFrame = frame(
  'error',
  {
    code: Type.String({ description: 'INVALID_FRAME, UNKNOWN_FRAME_TYPE, CONVERSATION_NOT_FOUND, UNAUTHORIZED, … (the domain codes)' }),
    message: Type.String(),
    request_id: Type.Optional(RequestId),
    conversation_id: Type.Optional(conversation_id),
    message_id: Type.Optional(Uuid),
    event_seq: Type.Optional(EventSeq)
  },
  "Something a frame asked for failed, or an assistant's reply failed (with `conversation_id`, the failed `message_id` and its `event_seq`). The socket stays open."
)
export const PongFrame = frame('pong', { request_id: Type.Optional(RequestId) }, 'Answer to `ping`.')

export const ServerFrames = [
  ReadyFrame,
  SubscribedFrame,
  UnsubscribedFrame,
  MessageCreatedFrame,
  MessageUpdatedFrame,
  MessageDeletedFrame,
  MessageAckFrame,
  ConversationUpdateFrame,
  TypingFrame,
  PresenceFrame,
  ReadFrame,
  MessageDeltaFrame,
  MessageCompletedFrame,
  AssistantStatusFrame,
  SystemNotificationFrame,
  ErrorFrame,
  PongFrame
]

/**
 * The last event of a streamed send (`POST …/messages/stream`), after the reply's frames: how the
 * reply ended, or null when nobody answers (a conversation without an assistant). Not a `/ws` frame.
 */
export const StreamDoneEvent = Type.Object(
  {
    type: Type.Literal('done'),
    outcome: Type.Union([Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled'), Type.Null()])
  },
  { additionalProperties: false, description: 'The end of a streamed send.' }
)

/** Close codes of `/ws`. */
export const CloseCodes = {
  /** No credentials (header, ticket or `auth` frame) in time, or they were refused. */
  UNAUTHORIZED: 4401,
  /** The credentials the socket signed in with were revoked: logout, a reused refresh token, a password change, the account disabled or deleted, the API key deleted. */
  REVOKED: 4403,
  /** The client read too slowly and its send buffer passed the bound. */
  SLOW_CONSUMER: 4408,
  /** The user already has as many open sockets as allowed (`WS_MAX_SOCKETS_PER_USER`). */
  TOO_MANY_SOCKETS: 4429,
  /** A frame larger than 64 KiB (set by the WebSocket layer). */
  MESSAGE_TOO_BIG: 1009,
  /** The server is shutting down. */
  GOING_AWAY: 1001
} as const

export const WsTicket = Type.Object(
  {
    ticket: Type.String({ description: 'Pass as `/ws?ticket=…`. Works once.' }),
    expires_in: Type.Integer({ description: 'Seconds the ticket stays valid.' })
  },
  { $id: 'WsTicket', additionalProperties: false }
)
