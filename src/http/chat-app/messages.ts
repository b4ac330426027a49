import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { ChatAppSendMessageRequest, ChatAppSentMessage } from '../../../schemas/chat-app/messages.js'
import { assertActsAs } from '../../domain/principal.js'
import { principalOf } from '../auth.js'
import { errors } from './errors.js'
import { sentMessage } from './presenters.js'

/** `/api/messages`: send a message; in a conversation with the assistant, its reply follows as a message. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { conversations } = app.services

  app.post(
    '/',
    {
      schema: {
        operationId: 'sendMessage',
        tags: ['messages'],
        summary: 'Send a message',
        description:
          'Also at `/api/messages/`. `sender_id` must be the signed-in user (else 403). In a conversation with the assistant, ' +
          'its reply arrives as a message: over the WebSocket, and in `GET /api/conversations/{conversation_id}` once finished.',
        body: ref(ChatAppSendMessageRequest),
        response: { 200: ref(ChatAppSentMessage, 'The message was sent'), ...errors(400, 401, 403, 404) }
      }
    },
    async (request) => {
      const p = principalOf(request)
      const { conversation_id, sender_id, message } = request.body
      assertActsAs(p, sender_id)
      return sentMessage(conversations.send(p, conversation_id, { content: message }).message)
    }
  )
}

export default routes
