import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import {
  ChatAppConnectResponse,
  ChatAppConversation,
  ChatAppConversations,
  ChatAppCreateConversationRequest,
  ChatAppTranscript,
  ConversationIdParams
} from '../../../schemas/chat-app/conversations.js'
import { DomainError } from '../../domain/errors.js'
import { principalOf } from '../auth.js'
import { errors } from './errors.js'
import { connected, conversation, transcript } from './presenters.js'
import { chatAppDialect } from './socket.js'

const tags = ['conversations']

/** The other people of a new conversation: between people, at least one besides the caller. */
function othersOf(body: { is_ai?: boolean; participant_ids?: string[]; participant_id?: string }, callerId: string): string[] {
  const named = [...(body.participant_ids ?? []), ...(body.participant_id ? [body.participant_id] : [])]
  const others = [...new Set(named)].filter((id) => id !== callerId)
  if (!body.is_ai && others.length === 0) {
    throw new DomainError(
      'BAD_REQUEST',
      named.length
        ? 'A conversation between people needs another user than yourself'
        : 'Missing required field: participant_id or participant_ids (when is_ai is false)'
    )
  }
  return others
}

/** `/api/conversations`: the caller's conversations, their messages and their WebSocket. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { conversations } = app.services

  app.get(
    '/',
    {
      schema: {
        operationId: 'listConversations',
        tags,
        summary: "The caller's conversations",
        description: 'The conversations the caller takes part in, latest activity first.',
        response: { 200: ref(ChatAppConversations, 'The conversations'), ...errors(401) }
      }
    },
    async (request) => conversations.listTakingPart(principalOf(request)).map(conversation)
  )

  app.post(
    '/',
    {
      config: { location: (c: { conversation_id: string }) => `/api/conversations/${c.conversation_id}` },
      schema: {
        operationId: 'createConversation',
        tags,
        summary: 'Start a conversation',
        description:
          '`is_ai: true` starts a conversation with the assistant: each message sent there gets its reply as a message. ' +
          '`is_ai: false` (the default) starts one between people: name them with `participant_ids` or `participant_id`.',
        body: ref(ChatAppCreateConversationRequest),
        response: { 201: ref(ChatAppConversation, 'The conversation was created'), ...errors(400, 401) }
      }
    },
    async (request, reply) => {
      const p = principalOf(request)
      const isAi = request.body.is_ai ?? false
      const { detail } = conversations.create(p, {
        is_ai: isAi,
        with_default_assistant: isAi,
        participant_ids: othersOf({ ...request.body, is_ai: isAi }, p.userId)
      })
      return reply.code(201).send(conversation({ ...detail, participant_ids: detail.participants.map((x) => x.user_id) }))
    }
  )

  app.get(
    '/:conversation_id',
    {
      schema: {
        operationId: 'getConversationMessages',
        tags,
        summary: 'All messages of a conversation',
        description: "The conversation's messages, oldest first. The assistant's replies have its id as `sender_id`.",
        params: ConversationIdParams,
        response: { 200: ref(ChatAppTranscript, 'The messages, oldest first'), ...errors(401, 404) }
      }
    },
    async (request) => transcript(conversations.transcript(principalOf(request), request.params.conversation_id))
  )

  app.post(
    '/:conversation_id/connect',
    {
      schema: {
        operationId: 'connectConversation',
        tags,
        summary: "Check the conversation's WebSocket can be opened",
        description:
          'Answers once the caller may connect. The WebSocket itself is a `GET` of this same path with `Upgrade: websocket` ' +
          'and `Authorization: Bearer <access_token>`; its frames are described at the top of this document.',
        params: ConversationIdParams,
        response: { 200: ref(ChatAppConnectResponse, 'The caller may connect'), ...errors(401, 404) }
      }
    },
    async (request) => {
      const { conversation } = conversations.access(principalOf(request).userId, request.params.conversation_id)
      return connected(conversation.id)
    }
  )

  // The WebSocket: a GET with `Upgrade: websocket`, signed in and allowed before the upgrade (else
  // an HTTP error in this API's body); a plain GET is told to upgrade.
  const allowed = new WeakMap<object, { id: string; assistantId: string | null }>()
  app.route({
    method: 'GET',
    url: '/:conversation_id/connect',
    schema: { hide: true, params: ConversationIdParams },
    preHandler: async (request) => {
      allowed.set(request, conversations.access(principalOf(request).userId, request.params.conversation_id).conversation)
    },
    handler: async () => {
      throw app.httpErrors.createError(426, 'Open this path as a WebSocket (GET with Upgrade: websocket)')
    },
    wsHandler: (socket, request) => {
      const c = allowed.get(request)!
      app.hub.accept(socket, request.principal, { dialect: chatAppDialect(c.id, c.assistantId), conversationId: c.id })
    }
  })
}

export default routes
