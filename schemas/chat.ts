import { Type } from '@sinclair/typebox'
import { PageOf, PageQuery, Timestamp, ref, StringEnum, Uuid, example } from './common.js'
import { File } from './files.js'

/** A chat: a conversation with a model, and its files. */
export const Chat = Type.Object(
  {
    chat_id: Uuid,
    user_id: Type.Union([Type.String(), Type.Null()]),
    current_model_id: Type.Union([Type.String(), Type.Null()]),
    current_model_api_source: Type.Union([Type.String(), Type.Null()]),
    created_timestamp: Timestamp,
    files: Type.Array(ref(File), { description: 'Files uploaded to the chat (the newest 100).' })
  },
  { $id: 'Chat', additionalProperties: false }
)

export const ChatPage = PageOf(Chat, 'ChatPage')

export const CreateChatRequest = example(
  Type.Object(
    {
      model_id: Type.String({ minLength: 1, maxLength: 200, examples: ['gpt-4'] }),
      model_api_source: Type.String({ minLength: 1, maxLength: 100, examples: ['openai'] })
    },
    { $id: 'CreateChatRequest', additionalProperties: false }
  ),
  { model_id: 'offline', model_api_source: 'offline' }
)

/** A message of a chat. */
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
export const ChatFileParams = Type.Object({ chat_id: Uuid, file_id: Uuid })
export const ChatListQuery = PageQuery
