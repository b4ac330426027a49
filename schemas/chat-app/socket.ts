import { Type } from '@sinclair/typebox'
import { Id, Timestamp, Uuid } from './common.js'
import { MessageText } from './messages.js'

/**
 * Frames of the conversation WebSocket (`GET /api/conversations/{conversation_id}/connect` with
 * `Upgrade: websocket`): JSON text. A client sends `ChatAppSocketSend`; the server sends
 * `ChatAppConnectResponse` once joined, `ChatAppSocketMessage` for every message, and
 * `ChatAppError` for a refused frame or a failed reply.
 */
export const ChatAppSocketSend = Type.Object(
  {
    message: MessageText,
    conversation_id: Type.Optional({ ...Id, description: "When given, must be the socket's conversation." }),
    sender_id: Type.Optional({ ...Id, description: 'When given, must be the signed-in user.' })
  },
  { $id: 'ChatAppSocketSend', description: 'Client → server: send a message (the body of `POST /api/messages`, its ids optional).' }
)

export const ChatAppSocketMessage = Type.Object(
  {
    message_id: Uuid,
    conversation_id: Uuid,
    sender_id: Type.Union([Uuid, Type.Null()], { description: "A person's user id, or the assistant's id for its replies." }),
    message: Type.String(),
    timestamp: Timestamp
  },
  {
    $id: 'ChatAppSocketMessage',
    additionalProperties: false,
    description: "Server → client: a message of the conversation, the client's own included (that is how a send is confirmed)."
  }
)
