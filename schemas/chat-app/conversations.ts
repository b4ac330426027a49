import { Type } from '@sinclair/typebox'
import { ref, example } from '../common.js'
import { Id, Timestamp, Uuid } from './common.js'

export const ChatAppConversation = Type.Object(
  {
    conversation_id: Uuid,
    is_ai: Type.Boolean({ description: 'true: a conversation with the assistant, whose replies arrive as messages.' }),
    assistant_id: Type.Union([Uuid, Type.Null()], { description: "The assistant's id (the `sender_id` of its messages), or null." }),
    participant_ids: Type.Array(Uuid, { description: 'The people in the conversation, the caller included.' }),
    created_at: Timestamp,
    last_message_at: Type.Union([Timestamp, Type.Null()])
  },
  { $id: 'ChatAppConversation', additionalProperties: false }
)

export const ChatAppConversations = Type.Array(ref(ChatAppConversation), { $id: 'ChatAppConversations' })

export const ChatAppCreateConversationRequest = example(
  Type.Object(
    {
      is_ai: Type.Optional(Type.Boolean({ default: false, description: 'true: a conversation with the assistant; false: between people.' })),
      participant_ids: Type.Optional(
        Type.Array(Id, { maxItems: 100, description: 'The other people (needed when `is_ai` is false, unless `participant_id` is given).' })
      ),
      participant_id: Type.Optional({ ...Id, description: 'One other person, for a conversation between two.' })
    },
    { $id: 'ChatAppCreateConversationRequest' }
  ),
  { is_ai: true }
)

export const ChatAppConversationEntry = Type.Object(
  {
    sender_id: Type.Union([Uuid, Type.Null()], { description: "A person's user id, or the assistant's id for its replies." }),
    message: Type.String(),
    timestamp: Timestamp
  },
  { $id: 'ChatAppConversationEntry', additionalProperties: false }
)

export const ChatAppTranscript = Type.Array(ref(ChatAppConversationEntry), { $id: 'ChatAppTranscript' })

export const ChatAppConnectResponse = Type.Object(
  {
    status: Type.Literal('WebSocket connected'),
    conversation_id: Uuid
  },
  { $id: 'ChatAppConnectResponse', additionalProperties: false }
)

export const ConversationIdParams = Type.Object({ conversation_id: Id })
