import { Type } from '@sinclair/typebox'
import { Id, Timestamp, Uuid } from './common.js'

export const MessageText = Type.String({ minLength: 1, maxLength: 32000, examples: ['Hello, how are you?'] })

export const ChatAppSendMessageRequest = Type.Object(
  {
    conversation_id: Id,
    sender_id: { ...Id, description: 'Must be the signed-in user.' },
    message: MessageText
  },
  { $id: 'ChatAppSendMessageRequest' }
)

export const ChatAppSentMessage = Type.Object(
  {
    message_id: Uuid,
    message: Type.String(),
    timestamp: Timestamp
  },
  { $id: 'ChatAppSentMessage', additionalProperties: false }
)
