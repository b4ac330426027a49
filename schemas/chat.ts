import { Type } from '@sinclair/typebox'
import { PageOf, PageQuery, StringEnum, Timestamp, Uuid } from './common.js'

/** Document 004's chat structure, over the same conversations. */
export const Chat = Type.Object(
  {
    chat_id: Uuid,
    user_id: Type.String(),
    current_model_id: Type.Union([Type.String(), Type.Null()]),
    current_model_api_source: Type.Union([Type.String(), Type.Null()]),
    created_timestamp: Timestamp,
    files: Type.Array(Type.Unknown(), { description: 'Files uploaded to the chat.' })
  },
  { $id: 'Chat', additionalProperties: false }
)

export const ChatPage = PageOf(Chat, 'ChatPage')

export const CreateChatRequest = Type.Object(
  {
    model_id: Type.String({ minLength: 1, maxLength: 200, examples: ['gpt-4'] }),
    model_api_source: Type.String({ minLength: 1, maxLength: 100, examples: ['openai'] })
  },
  { $id: 'CreateChatRequest', additionalProperties: false }
)

/** Document 004's message structure. */
export const ChatMessage = Type.Object(
  {
    message_id: Uuid,
    chat_id: Type.String(),
    role: StringEnum(['user', 'assistant', 'system', 'tool']),
    content: Type.String(),
    files: Type.Array(Type.String(), { description: 'Ids of attached files.' }),
    timestamp: Timestamp
  },
  { $id: 'ChatMessage', additionalProperties: false }
)

export const ChatMessagePage = PageOf(ChatMessage, 'ChatMessagePage')

export const ChatIdParams = Type.Object({ chat_id: Uuid })
export const ChatListQuery = PageQuery
