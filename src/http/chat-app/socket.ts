import { TypeCompiler } from '@sinclair/typebox/compiler'
import { ChatAppSocketSend } from '../../../schemas/chat-app/socket.js'
import { DomainError } from '../../domain/errors.js'
import type { MessageRecord } from '../../domain/events.js'
import { assertActsAs } from '../../domain/principal.js'
import type { SocketDialect } from '../../realtime/hub.js'
import { chatAppErrorBody, statusOfCode } from './errors.js'
import { connected, isShown, socketMessage } from './presenters.js'

const checkSend = TypeCompiler.Compile(ChatAppSocketSend)

const FRAME_HINT = 'A frame is a JSON object: {"message": "Hello"}'

/**
 * The frames of a chat-app conversation socket, over the shared WebSocket hub. The server sends
 * only the bodies this API answers over HTTP: `{status: "WebSocket connected", conversation_id}`
 * once joined, `{message_id, conversation_id, sender_id, message, timestamp}` for each message
 * shown in the conversation (the sender's own included, and the assistant's finished replies),
 * and `{error: {message, status}}` (a refused frame, a failed reply, or a 404 once the conversation
 * is deleted). The client sends `{message}` (optionally with the
 * `conversation_id` and `sender_id` of `POST /api/messages`, which must match).
 */
export function chatAppDialect(conversationId: string, assistantId: string | null): SocketDialect {
  return {
    encode(frame) {
      switch (frame.type) {
        case 'subscribed':
          return connected(conversationId)
        case 'message.created':
        case 'message.completed': {
          const m = frame.message as MessageRecord
          return isShown(m) ? socketMessage(m, assistantId) : null
        }
        case 'conversation_update':
          // The conversation was deleted: the socket hears no more of it.
          return frame.action === 'deleted' && frame.conversation_id === conversationId
            ? chatAppErrorBody({ status: 404, code: 'CONVERSATION_NOT_FOUND', message: 'Conversation not found' })
            : null
        case 'error': {
          const code = String(frame.code)
          const message = code === 'INVALID_FRAME' ? FRAME_HINT : String(frame.message)
          return chatAppErrorBody({ status: statusOfCode(code), code, message })
        }
        default:
          return null
      }
    },
    decode(input, principal) {
      if (!checkSend.Check(input)) {
        const first = checkSend.Errors(input).First()
        const where = first?.path.replace(/^\//, '')
        const what = where ? `${where} ${first?.message}` : 'the frame is not an object with a "message"'
        throw new DomainError('BAD_REQUEST', `${FRAME_HINT}; ${what}`)
      }
      if (input.conversation_id !== undefined && input.conversation_id !== conversationId) {
        throw new DomainError('BAD_REQUEST', `This socket is connected to conversation ${conversationId}`)
      }
      if (input.sender_id !== undefined) assertActsAs(principal, input.sender_id)
      return { type: 'message.send', conversation_id: conversationId, content: input.message }
    }
  }
}
