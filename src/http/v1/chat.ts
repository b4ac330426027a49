import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ChatIdParams, Chat, ChatListQuery, ChatMessagePage, ChatPage, CreateChatRequest } from '../../../schemas/chat.js'
import { errors, NoContent, ref } from '../../../schemas/common.js'
import { principalOf } from '../auth.js'

const tags = ['chat']
const security = [{ bearerAuth: [] }]

/** Document 004's chats, over the same conversations. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { chats } = app.services
  app.addHook('onRequest', app.authenticate)

  app.get(
    '/',
    {
      schema: {
        operationId: 'listChats',
        tags,
        summary: "Paginated list of the user's chats",
        security,
        querystring: ChatListQuery,
        response: { 200: ref(ChatPage, 'A page of chats'), ...errors(401, 422) }
      }
    },
    async (request) => chats.list(principalOf(request), request.query)
  )

  app.post(
    '/',
    {
      schema: {
        operationId: 'createChat',
        tags,
        summary: 'Create a chat',
        security,
        body: ref(CreateChatRequest),
        response: { 201: ref(Chat, 'The new chat'), ...errors(400, 401, 422) }
      }
    },
    async (request, reply) => reply.code(201).send(chats.create(principalOf(request), request.body))
  )

  app.get(
    '/:chat_id',
    {
      schema: {
        operationId: 'getChat',
        tags,
        summary: 'Get a chat',
        security,
        params: ChatIdParams,
        response: { 200: ref(Chat, 'The chat'), ...errors(401, 404, 422) }
      }
    },
    async (request) => chats.get(principalOf(request), request.params.chat_id)
  )

  app.delete(
    '/:chat_id',
    {
      schema: {
        operationId: 'deleteChat',
        tags,
        summary: 'Delete a chat and its messages',
        security,
        params: ChatIdParams,
        response: { 204: { ...NoContent, description: 'Deleted' }, ...errors(401, 403, 404, 422) }
      }
    },
    async (request, reply) => {
      chats.delete(principalOf(request), request.params.chat_id)
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/:chat_id/messages',
    {
      schema: {
        operationId: 'listChatMessages',
        tags,
        summary: 'Messages of a chat, oldest first',
        security,
        params: ChatIdParams,
        querystring: ChatListQuery,
        response: { 200: ref(ChatMessagePage, 'A page of messages'), ...errors(401, 404, 422) }
      }
    },
    async (request) => chats.messages(principalOf(request), request.params.chat_id, request.query)
  )
}

export default routes
