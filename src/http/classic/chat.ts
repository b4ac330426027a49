import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { ChatCreated, ChatDetail, ChatIdQuery, ConnectionString, MessageString, Msg, WorkspaceIdQuery } from '../../../schemas/classic/index.js'
import { principalOf } from '../auth.js'
import { errors } from './errors.js'
import { presentChat, presentChatDetail, presentConnectionString, presentMessageString, presentWorkspace } from './presenters.js'

const tags = ['chat']
const owner = 'A chat that does not exist answers 404 `Chat not found`; another user’s, 401 `User is not the owner of the chat`.'

/** Chats (conversations, the same as every other surface's) and the secrets that open them over Socket.IO. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { chats, chatSecrets } = app.services
  const disclose = { disclose: true }

  app.get(
    '/chat/authorize',
    {
      schema: {
        operationId: 'authorizeChat',
        tags,
        summary: 'Get a connection string for a chat',
        description: `The connection string joins the chat on the Socket.IO namespace \`/chat\` (\`auth: {connection_string}\`) for an hour. ${owner}`,
        querystring: ChatIdQuery,
        response: { 200: ref(ConnectionString, 'A connection string'), ...errors(400, 404) }
      }
    },
    async (request) => presentConnectionString(chatSecrets.issue(principalOf(request), request.query.chat_id, 'connection', disclose))
  )

  app.get(
    '/chat/authorize/message',
    {
      schema: {
        operationId: 'authorizeChatMessage',
        tags,
        summary: 'Get a secret for sending messages in a chat',
        description: `Pass the secret as \`message_string\` with each \`send_message\` on the Socket.IO namespace \`/chat\`; it works for an hour. ${owner}`,
        querystring: ChatIdQuery,
        response: { 200: ref(MessageString, 'A message secret'), ...errors(400, 404) }
      }
    },
    async (request) => presentMessageString(chatSecrets.issue(principalOf(request), request.query.chat_id, 'message', disclose))
  )

  app.post(
    '/chat',
    {
      schema: {
        operationId: 'createChat',
        tags,
        summary: 'Create a chat in a workspace',
        description:
          'Answers 400 `Missing workspace id` without `workspace_id`, 404 `Workspace not found`, and 401 `User is not the owner ' +
          'of the workspace` for a workspace the caller may not post in.',
        querystring: WorkspaceIdQuery,
        response: { 200: ref(ChatCreated, 'The chat and its workspace'), ...errors(400, 404) }
      }
    },
    async (request) => {
      const { chat, workspace } = chats.createInWorkspace(principalOf(request), request.query.workspace_id, disclose)
      return { msg: 'Chat created successfully' as const, chat: presentChat(chat), workspace: presentWorkspace(workspace) }
    }
  )

  app.get(
    '/chat',
    {
      schema: {
        operationId: 'getChat',
        tags,
        summary: 'Get a chat with its latest messages',
        description: owner,
        querystring: ChatIdQuery,
        response: { 200: ref(ChatDetail, 'The chat'), ...errors(400, 404) }
      }
    },
    async (request) => presentChatDetail(chats.detail(principalOf(request), request.query.chat_id, disclose))
  )

  app.delete(
    '/chat',
    {
      schema: {
        operationId: 'deleteChat',
        tags,
        summary: 'Delete a chat',
        description: `Its creator (or its workspace's owner) deletes it, with its messages. ${owner}`,
        querystring: ChatIdQuery,
        response: { 200: ref(Msg, '`{"msg": "Chat deleted successfully"}`'), ...errors(400, 404) }
      }
    },
    async (request) => {
      chats.remove(principalOf(request), request.query.chat_id, disclose)
      return { msg: 'Chat deleted successfully' }
    }
  )
}

export default routes
