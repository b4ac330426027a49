import { type TSchema, type TString, Type } from '@sinclair/typebox'
import { Timestamp, example } from '../common.js'

/**
 * The classic surface's schemas: flat paths, `{"msg": ...}` answers. Request bodies accept fields
 * they do not know (its clients send what they send); what they need is checked.
 */

const Id = Type.String({ minLength: 1, maxLength: 200, description: 'An identifier (a UUIDv7 here).' })

/** The error body of every classic route. */
export const ClassicError = Type.Object({ msg: Type.String({ description: 'What went wrong.' }) }, { $id: 'ClassicError', title: 'Error' })

/** An answer that is only a message. */
export const Msg = Type.Object({ msg: Type.String() }, { $id: 'Msg' })

export const Credentials = example(
  Type.Object(
    {
      email: Type.String({ minLength: 1, maxLength: 254, format: 'email', examples: ['user@example.com'] }),
      password: Type.String({ minLength: 1, maxLength: 256 })
    },
    { $id: 'Credentials' }
  ),
  { email: 'user@example.com', password: 'violet harbor 71 lantern' }
)

/** Registration takes the same passwords the other sign-ins do: at least 8 characters. */
export const RegisterRequest = example(
  Type.Object(
    {
      email: Type.String({ minLength: 1, maxLength: 254, format: 'email', examples: ['user@example.com'] }),
      password: Type.String({ minLength: 8, maxLength: 256, description: 'At least 8 characters.' })
    },
    { $id: 'RegisterRequest' }
  ),
  { email: 'user@example.com', password: 'violet harbor 71 lantern' }
)

export const Registered = Type.Object(
  { msg: Type.Literal('User created successfully'), email: Type.String() },
  { $id: 'Registered', additionalProperties: false }
)

export const AccessToken = Type.Object(
  { access_token: Type.String({ description: 'A JWT (30 minutes); send it as `Authorization: Bearer <access_token>`.' }) },
  { $id: 'AccessToken', additionalProperties: false }
)

export const User = Type.Object(
  {
    user_id: Type.String(),
    email: Type.String(),
    full_name: Type.Union([Type.String(), Type.Null()]),
    role: Type.String({ enum: ['admin', 'user'] }),
    is_active: Type.Boolean(),
    created_at: Timestamp,
    updated_at: Timestamp
  },
  { $id: 'User', additionalProperties: false }
)

export const UserEnvelope = Type.Object({ user: Type.Ref('User') }, { $id: 'UserEnvelope', additionalProperties: false })

export const UpdateUserRequest = example(
  Type.Object(
    { email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, format: 'email', description: 'The new email address.' })) },
    { $id: 'UpdateUserRequest' }
  ),
  { email: 'user@example.com' }
)

export const ChatIdQuery = Type.Object({ chat_id: Id })
export const WorkspaceIdQuery = Type.Object({ workspace_id: Id })
export const WorkspaceIdParams = Type.Object({ workspace_id: Id })

/** A chat secret as issued: the secret under its own field name, with when it was made, when it expires and by whom. */
function ChatSecret<const F extends string>(field: F, description: string, $id: string) {
  const secret = { [field]: Type.String({ description }) } as Record<F, TString>
  return Type.Object(
    {
      ...secret,
      created_at: Timestamp,
      expires_at: Timestamp,
      created_by: Type.String({ description: 'The user id.' })
    },
    { $id, additionalProperties: false }
  )
}

export const ConnectionString = ChatSecret(
  'connection_string',
  'Joins the chat over Socket.IO: `auth: {connection_string}` on namespace `/chat`.',
  'ConnectionString'
)

export const MessageString = ChatSecret('message_string', 'Posts in the chat: `send_message {message_string, content}` on namespace `/chat`.', 'MessageString')

export const Message = Type.Object(
  {
    message_id: Type.String(),
    chat_id: Type.String(),
    seq: Type.Integer({ minimum: 1, description: 'The message’s place in its chat: 1, 2, 3, ...' }),
    role: Type.String({ enum: ['user', 'assistant', 'system', 'tool'] }),
    sender_id: Type.Union([Type.String(), Type.Null()], { description: 'The user who sent it; null for an assistant.' }),
    content: Type.String(),
    created_at: Timestamp
  },
  { $id: 'Message', additionalProperties: false }
)

const chatFields = {
  chat_id: Type.String(),
  workspace_id: Type.Union([Type.String(), Type.Null()]),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'The user who created it; null once that account is deleted.' }),
  created_by: Type.Union([Type.String(), Type.Null()], { description: 'The user who created it; null once that account is deleted.' }),
  title: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp
}

export const Chat = Type.Object(chatFields, { $id: 'Chat', additionalProperties: false })

export const ChatDetail = Type.Object(
  { ...chatFields, messages: Type.Array(Type.Ref('Message'), { description: 'The latest messages, oldest first.' }) },
  { $id: 'ChatDetail', additionalProperties: false }
)

export const Workspace = Type.Object(
  {
    workspace_id: Type.String(),
    name: Type.String(),
    owner: Type.String({ description: 'The user who owns it.' }),
    agents: Type.Array(Type.String(), { description: 'Ids of the agents (assistants) added to it.' }),
    created_at: Timestamp,
    updated_at: Timestamp
  },
  { $id: 'Workspace', additionalProperties: false }
)

export const ChatCreated = Type.Object(
  { msg: Type.Literal('Chat created successfully'), chat: Type.Ref('Chat'), workspace: Type.Ref('Workspace') },
  { $id: 'ChatCreated', additionalProperties: false }
)

export const ChatList = Type.Object({ chats: Type.Array(Type.Ref('Chat')) }, { $id: 'ChatList', additionalProperties: false })

export const CreateWorkspaceRequest = example(
  Type.Object({ name: Type.Optional(Type.String({ maxLength: 100, description: 'Defaults to "Untitled Workspace".' })) }, { $id: 'CreateWorkspaceRequest' }),
  { name: 'My Workspace' }
)

export const WorkspaceCreated = Type.Object(
  { msg: Type.Literal('Workspace created'), workspace: Type.Ref('Workspace') },
  { $id: 'WorkspaceCreated', additionalProperties: false }
)

export const WorkspaceEnvelope = Type.Object({ workspace: Type.Ref('Workspace') }, { $id: 'WorkspaceEnvelope', additionalProperties: false })

export const WorkspaceList = Type.Object({ workspaces: Type.Array(Type.Ref('Workspace')) }, { $id: 'WorkspaceList', additionalProperties: false })

export const AgentRequest = example(Type.Object({ agent_id: Id }, { $id: 'AgentRequest' }), { agent_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d' })

export const RenameRequest = example(Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { $id: 'RenameRequest' }), {
  name: 'Renamed Workspace'
})

export const AgentDownloadQuery = Type.Object({
  query: Type.Optional(Type.String({ description: 'The name of the package.' })),
  version: Type.Optional(Type.String({ description: 'The version (semver); the highest when omitted.' }))
})

/** What a client sends on `send_message` in the `/chat` namespace. */
export const SendMessage = Type.Object(
  {
    message_string: Type.String({ minLength: 1, description: 'A secret from `GET /chat/authorize/message`.' }),
    content: Type.String({ minLength: 1, maxLength: 32_000 })
  },
  { $id: 'SendMessage' }
)

/** Every classic schema with an `$id`: components of its document. */
export function classicSchemas(): TSchema[] {
  return [
    ClassicError,
    Msg,
    Credentials,
    RegisterRequest,
    Registered,
    AccessToken,
    User,
    UserEnvelope,
    UpdateUserRequest,
    ConnectionString,
    MessageString,
    Message,
    Chat,
    ChatDetail,
    Workspace,
    ChatCreated,
    ChatList,
    CreateWorkspaceRequest,
    WorkspaceCreated,
    WorkspaceEnvelope,
    WorkspaceList,
    AgentRequest,
    RenameRequest,
    SendMessage
  ]
}
