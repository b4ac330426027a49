import { type TSchema, Type } from '@sinclair/typebox'
import { Uuid } from './common.js'
import { Message } from './conversations.js'

/**
 * The events of the Socket.IO namespace `/assistant/realtime`: assistant rooms. A room is a
 * conversation with an assistant; its id is the conversation's id. Client events are validated
 * with these schemas; server events are built to them. The AsyncAPI document of the Socket.IO
 * protocol is generated from this file.
 */

const room_id = Type.String({ format: 'uuid', description: 'The room: the id of the conversation with the assistant.' })
const user_id = Type.String({ format: 'uuid', description: 'The user whose socket joined or left.' })
const event = <T extends Record<string, TSchema>>(name: string, props: T, description: string) =>
  Type.Object(props, { $id: eventId(name), title: name, description, additionalProperties: false })

function eventId(name: string): string {
  return `RoomEvent${name
    .split('_')
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('')}`
}

// ---- client → server ----

export const CreateRoomEvent = event(
  'create_room',
  {
    assistant_id: Uuid,
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    workspace_id: Type.Optional(Type.String({ format: 'uuid', description: 'Start the room in a workspace: its members may join it.' })),
    participant_ids: Type.Optional(Type.Array(Uuid, { maxItems: 50, uniqueItems: true, description: 'Other people who may join the room.' }))
  },
  'Start a conversation with an assistant and join its room. Answered by `room_created`.'
)
export const JoinRoomEvent = event(
  'join_room',
  { room_id },
  "Join the room of a conversation with an assistant that you may see. Answered by `room_joined`; the room's other sockets get `user_joined`."
)
export const LeaveRoomEvent = event('leave_room', { room_id }, "Leave a room. The room's other sockets get `user_left`.")
export const SendMessageEvent = event(
  'send_message',
  { room_id, content: Type.String({ minLength: 1, maxLength: 32000 }) },
  "Post a message in a room you joined. Every socket in the room gets it as `message_received`, then the assistant's reply."
)

// ---- server → client ----

export const RoomCreatedEvent = event(
  'room_created',
  { room_id, assistant_id: Uuid, title: Type.Union([Type.String(), Type.Null()]) },
  'The room was created and this socket joined it.'
)
export const RoomJoinedEvent = event(
  'room_joined',
  {
    room_id,
    assistant_id: Uuid,
    title: Type.Union([Type.String(), Type.Null()]),
    user_ids: Type.Array(Uuid, { description: 'The users with a socket in the room, this one included.' })
  },
  'This socket joined the room.'
)
export const UserJoinedEvent = event(
  'user_joined',
  { room_id, user_id },
  'Another socket joined the room: another person, or the same person on another device.'
)
export const UserLeftEvent = event('user_left', { room_id, user_id }, 'Another socket left the room (or disconnected).')
export const MessageChunkEvent = event(
  'message_chunk',
  {
    room_id,
    message_id: Type.String({ format: 'uuid', description: "The assistant's reply being streamed: the `id` of the `message_received` that completes it." }),
    index: Type.Integer({ minimum: 0, description: 'Chunk index within the reply, from 0.' }),
    delta: Type.String({ description: 'The text the model produced since the previous chunk.' })
  },
  "A chunk of the assistant's reply, as the model produces it, to every socket in the room. The chunks of a reply, in `index` order, make its content; the whole reply then comes as `message_received`."
)
export const MessageReceivedEvent = event(
  'message_received',
  { room_id, message: Message },
  "A message in the room: a person's message, or the assistant's reply once it is complete (`status` completed, failed or cancelled), after its `message_chunk` events."
)
export const RoomErrorEvent = event(
  'error',
  {
    code: Type.String({
      description:
        'INVALID_EVENT, NOT_IN_ROOM, CONVERSATION_NOT_FOUND, ASSISTANT_NOT_FOUND, FORBIDDEN, … (the domain codes); CREDENTIALS_REVOKED just before the server disconnects a socket whose credentials were revoked.'
    }),
    message: Type.String(),
    event: Type.Optional(Type.String({ description: 'The client event that failed.' })),
    room_id: Type.Optional(room_id)
  },
  "A client event failed, or the assistant's reply in a room failed: the socket stays connected. With `CREDENTIALS_REVOKED` (logout, a password change, the user disabled or deleted, the API key deleted), the server disconnects the socket right after."
)

/** Client → server events, by event name. */
export const RoomClientEvents = {
  create_room: CreateRoomEvent,
  join_room: JoinRoomEvent,
  leave_room: LeaveRoomEvent,
  send_message: SendMessageEvent
} as const

/** Server → client events, by event name. */
export const RoomServerEvents = {
  room_created: RoomCreatedEvent,
  room_joined: RoomJoinedEvent,
  user_joined: UserJoinedEvent,
  user_left: UserLeftEvent,
  message_chunk: MessageChunkEvent,
  message_received: MessageReceivedEvent,
  error: RoomErrorEvent
} as const
