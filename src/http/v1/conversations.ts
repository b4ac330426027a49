import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors, NoContent, ref } from '../../../schemas/common.js'
import {
  ConversationDetail,
  ConversationIdParams,
  ConversationPage,
  CreateConversationRequest,
  EditMessageRequest,
  CancelledReplies,
  HistoryQuery,
  IdempotencyHeaders,
  ListConversationsQuery,
  MarkReadRequest,
  Message,
  MessageHistory,
  MessageIdParams,
  ReadState,
  SendMessageRequest,
  UpdateConversationRequest
} from '../../../schemas/conversations.js'
import { principalOf } from '../auth.js'
import { wantsEventStream } from '../sse.js'
import { presentConversation, presentConversationDetail, presentHistory, presentMessage, v1Page } from './presenters.js'
import { streamReply } from './sse.js'

const tags = ['conversations']
const messageTags = ['messages']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { conversations } = app.services

  app.post(
    '/',
    {
      config: { idempotency: 'domain', location: (c: { id: string }) => `/api/v1/conversations/${c.id}` },
      schema: {
        operationId: 'createConversation',
        tags,
        summary: 'Start a conversation',
        description:
          'With an assistant (`assistant_id`), between people (`participant_ids`), or both; optionally in a workspace. ' +
          '`initial_message` becomes message 1. Send `Idempotency-Key` to make retries safe.',
        headers: IdempotencyHeaders,
        body: ref(CreateConversationRequest),
        response: { 201: ref(ConversationDetail, 'The new conversation'), ...errors(400, 401, 403, 404, 409, 422) }
      }
    },
    async (request, reply) => {
      const { detail, created } = conversations.create(principalOf(request), request.body, request.headers['idempotency-key'])
      if (!created) reply.header('idempotent-replayed', 'true')
      return reply.code(201).send(presentConversationDetail(detail))
    }
  )

  app.get(
    '/',
    {
      schema: {
        operationId: 'listConversations',
        tags,
        summary: "List the caller's conversations",
        description: 'Conversations the caller takes part in, and those of workspaces they belong to, with unread counts.',
        querystring: ListConversationsQuery,
        response: { 200: ref(ConversationPage, 'A page of conversations'), ...errors(401, 422) }
      }
    },
    async (request) => v1Page(conversations.list(principalOf(request), request.query), presentConversation)
  )

  app.get(
    '/:conversation_id',
    {
      schema: {
        operationId: 'getConversation',
        tags,
        summary: 'Get a conversation with its latest messages',
        description:
          'The conversation with its participants and its latest 50 messages, oldest first, for its participants and the members of its workspace; anyone else gets 404.',
        params: ConversationIdParams,
        response: { 200: ref(ConversationDetail, 'The conversation'), ...errors(401, 404, 422) }
      }
    },
    async (request) => presentConversationDetail(conversations.get(principalOf(request), request.params.conversation_id))
  )

  app.patch(
    '/:conversation_id',
    {
      schema: {
        operationId: 'updateConversation',
        tags,
        summary: 'Rename a conversation',
        description: 'Sets the title, or clears it with null. Its participants may, and the members of its workspace but viewers (403).',
        params: ConversationIdParams,
        body: ref(UpdateConversationRequest),
        response: { 200: ref(ConversationDetail, 'The conversation'), ...errors(400, 401, 403, 404, 422) }
      }
    },
    async (request) => presentConversationDetail(conversations.update(principalOf(request), request.params.conversation_id, request.body))
  )

  app.delete(
    '/:conversation_id',
    {
      schema: {
        operationId: 'deleteConversation',
        tags,
        summary: 'Delete a conversation and its messages',
        description: 'Its creator (or the owner or an admin of its workspace) may.',
        params: ConversationIdParams,
        response: { 204: { ...NoContent, description: 'Deleted' }, ...errors(401, 403, 404, 422) }
      }
    },
    async (request, reply) => {
      conversations.delete(principalOf(request), request.params.conversation_id)
      return reply.code(204).send(null)
    }
  )

  const messageLocation = (m: { id: string; conversation_id: string }) => `/api/v1/conversations/${m.conversation_id}/messages/${m.id}`
  const sendRules =
    'The message takes the next `seq` of the conversation. A retry with the same `client_msg_id` or `Idempotency-Key` makes ' +
    'one message and answers as the first time did.'

  app.post(
    '/:conversation_id/messages',
    {
      config: { idempotency: 'domain', location: messageLocation },
      schema: {
        operationId: 'sendMessage',
        tags: messageTags,
        summary: 'Send a message',
        description:
          `${sendRules} In a conversation with an assistant, the assistant answers in the background: follow it on \`/ws\`, ` +
          'or send with `sendMessageStream` (`POST …/messages/stream`) to read the reply as it streams. (A request with ' +
          '`Accept: text/event-stream` is answered as `sendMessageStream` answers.)',
        params: ConversationIdParams,
        headers: IdempotencyHeaders,
        body: ref(SendMessageRequest),
        response: { 201: ref(Message, 'The message'), ...errors(400, 401, 403, 404, 409, 422) }
      }
    },
    async (request, reply) => {
      const p = principalOf(request)
      const send = () => conversations.send(p, request.params.conversation_id, request.body, request.headers['idempotency-key'])
      if (wantsEventStream(request)) return streamReply(app, request, reply, p, request.params.conversation_id, send)
      const result = send()
      if (!result.created) reply.header('idempotent-replayed', 'true')
      return reply.code(201).send(presentMessage(result.message))
    }
  )

  app.post(
    '/:conversation_id/messages/stream',
    {
      config: { idempotency: 'domain', location: messageLocation },
      schema: {
        operationId: 'sendMessageStream',
        tags: messageTags,
        summary: "Send a message and stream the assistant's reply",
        description:
          `${sendRules} The answer is a stream of Server-Sent Events, each \`data\` the JSON of the \`/ws\` frame of the same ` +
          'name: `message.created` (this message), then the reply as `assistant_status`, `message.delta`, `message.created` ' +
          '(tool calls and their results), `message.completed` or `error`, and last `done` (`{"type": "done", "outcome": ' +
          '"completed" | "failed" | "cancelled" | null}`; null when nobody answers). A send that fails answers in JSON with its ' +
          'error status, before any event.',
        params: ConversationIdParams,
        headers: IdempotencyHeaders,
        body: ref(SendMessageRequest),
        response: {
          201: {
            description: 'The message was sent; its events and the reply follow as they happen',
            content: { 'text/event-stream': { schema: { type: 'string', description: 'Server-Sent Events, as described above.' } } }
          },
          ...errors(400, 401, 403, 404, 409, 422)
        }
      }
    },
    async (request, reply) => {
      const p = principalOf(request)
      return streamReply(app, request, reply, p, request.params.conversation_id, () =>
        conversations.send(p, request.params.conversation_id, request.body, request.headers['idempotency-key'])
      )
    }
  )

  app.post(
    '/:conversation_id/reply/cancel',
    {
      schema: {
        operationId: 'cancelReply',
        tags: messageTags,
        summary: "Cancel the assistant's reply in progress",
        description: 'Cancels the replies running or queued in the conversation; a cancelled reply keeps what it streamed, with status `cancelled`.',
        params: ConversationIdParams,
        response: { 200: ref(CancelledReplies, 'What was cancelled'), ...errors(401, 403, 404, 422) }
      }
    },
    async (request) => ({ cancelled: app.services.replies.cancel(principalOf(request), request.params.conversation_id) })
  )

  app.get(
    '/:conversation_id/messages',
    {
      schema: {
        operationId: 'listMessages',
        tags: messageTags,
        summary: 'Message history by cursor',
        description:
          'Oldest first. `after_seq` pages forward from a seq (what a client missed); `before_seq` pages back; ' + 'with neither, the latest messages.',
        params: ConversationIdParams,
        querystring: HistoryQuery,
        response: { 200: ref(MessageHistory, 'A page of messages'), ...errors(401, 404, 422) }
      }
    },
    async (request) => presentHistory(conversations.history(principalOf(request), request.params.conversation_id, request.query))
  )

  app.get(
    '/:conversation_id/messages/:message_id',
    {
      schema: {
        operationId: 'getMessage',
        tags: messageTags,
        summary: 'Get one message',
        description: 'One message of a conversation the caller sees; a deleted message is a tombstone (empty `content`, `deleted_at` set).',
        params: MessageIdParams,
        response: { 200: ref(Message, 'The message'), ...errors(401, 404, 422) }
      }
    },
    async (request) => presentMessage(conversations.getMessage(principalOf(request), request.params.conversation_id, request.params.message_id))
  )

  app.patch(
    '/:conversation_id/messages/:message_id',
    {
      schema: {
        operationId: 'editMessage',
        tags: messageTags,
        summary: "Edit one's own message",
        description:
          "Replaces the content of a message the caller sent, sets `edited_at` and sends `message.updated`. Someone else's message is a 403 `NOT_MESSAGE_AUTHOR`; a deleted one a 404.",
        params: MessageIdParams,
        body: ref(EditMessageRequest),
        response: { 200: ref(Message, 'The edited message'), ...errors(400, 401, 403, 404, 422) }
      }
    },
    async (request) => presentMessage(conversations.editMessage(principalOf(request), request.params.conversation_id, request.params.message_id, request.body))
  )

  app.delete(
    '/:conversation_id/messages/:message_id',
    {
      schema: {
        operationId: 'deleteMessage',
        tags: messageTags,
        summary: "Delete one's own message",
        description: 'Leaves a tombstone: the seq stays, the content goes, and `message.deleted` is sent.',
        params: MessageIdParams,
        response: { 204: { ...NoContent, description: 'Deleted' }, ...errors(401, 403, 404, 422) }
      }
    },
    async (request, reply) => {
      conversations.deleteMessage(principalOf(request), request.params.conversation_id, request.params.message_id)
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/:conversation_id/read',
    {
      schema: {
        operationId: 'markConversationRead',
        tags,
        summary: 'Mark the conversation read up to a seq',
        description: 'The read mark never moves back.',
        params: ConversationIdParams,
        body: ref(MarkReadRequest),
        response: { 200: ref(ReadState, "The caller's read state"), ...errors(400, 401, 404, 422) }
      }
    },
    async (request) => conversations.markRead(principalOf(request), request.params.conversation_id, request.body.seq)
  )
}

export default routes
