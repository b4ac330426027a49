import { Type } from '@sinclair/typebox'
import { example } from '../common.js'
import { Id, Timestamp, Uuid } from './common.js'

export const MessageText = Type.String({ minLength: 1, maxLength: 32000, examples: ['Hello, how are you?'] })

export const ChatAppSendMessageRequest = example(
  Type.Object(
    {
      conversation_id: Id,
      sender_id: { ...Id, description: 'Must be the signed-in user.' },
      message: MessageText
    },
    { $id: 'ChatAppSendMessageRequest' }
  ),
  { conversation_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', sender_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', message: 'Hello, how are you?' }
)

export const ChatAppSentMessage = Type.Object(
  {
    message_id: Uuid,
    message: Type.String(),
    timestamp: Timestamp
  },
  { $id: 'ChatAppSentMessage', additionalProperties: false }
)
