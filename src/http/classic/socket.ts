import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifyInstance } from 'fastify'
import { SendMessage } from '../../../schemas/classic/index.js'
import { isDomainError } from '../../domain/errors.js'
import type { DomainEvent } from '../../domain/events.js'
import { toFailure } from '../errors.js'
import type { StatusPolicy } from '../errors.js'
import { classicErrorBody } from './errors.js'
import { presentMessage } from './presenters.js'

export const CHAT_NAMESPACE = '/chat'

const checkSend = TypeCompiler.Compile(SendMessage)

type Ack = (answer: unknown) => void

/**
 * The Socket.IO namespace `/chat` on the app's one Socket.IO server. A client connects with
 * `auth: {connection_string}` (from `GET /chat/authorize`) and joins that chat; a bad or expired
 * one is refused at the handshake. The server emits `message` for every new message of the chat,
 * however it was sent (here, over HTTP, or on `/ws`). Deleting the chat, disabling its user or
 * revoking the user's sessions (a password change, the account deleted) closes its sockets.
 * `send_message {message_string, content}`
 * posts one with a secret from `GET /chat/authorize/message`, acknowledged with the stored message
 * or with `{"msg": ...}`.
 */
export function chatNamespace(app: FastifyInstance, policy: StatusPolicy): void {
  const { chatSecrets, events } = app.services
  const nsp = app.io.of(CHAT_NAMESPACE)
  const words = (e: unknown) => classicErrorBody(toFailure(e, policy))

  nsp.use((socket, next) => {
    try {
      const grant = chatSecrets.connect((socket.handshake.auth as { connection_string?: unknown } | undefined)?.connection_string)
      socket.data.chatId = grant.chatId
      socket.data.userId = grant.principal.userId
      // Whose socket it is: revoking that user's credentials disconnects it (`disconnectRevoked`).
      socket.data.principal = grant.principal
      next()
    } catch (e) {
      if (!isDomainError(e)) app.log.error({ err: e }, 'chat socket handshake failed')
      next(new Error(words(e).msg))
    }
  })

  nsp.on('connection', (socket) => {
    const chatId = socket.data.chatId as string
    socket.join(chatId)
    socket.on('send_message', (payload: unknown, ack?: Ack) => {
      const answer = (value: unknown) => (typeof ack === 'function' ? ack(value) : undefined)
      if (!checkSend.Check(payload)) {
        const first = checkSend.Errors(payload).First()
        const field = first?.path.replace(/^\//, '') || 'payload'
        return answer({ msg: `Missing or invalid ${field} parameter` })
      }
      try {
        answer(presentMessage(chatSecrets.send(chatId, payload.message_string, payload.content)))
      } catch (e) {
        if (!isDomainError(e)) app.log.error({ err: e }, 'chat socket send failed')
        answer(words(e))
      }
    })
  })

  // Every new message of a chat reaches its sockets, once, in its final form: a person's at once,
  // an assistant's reply when it is complete.
  const unsubscribe = events.subscribe((e: DomainEvent) => {
    if ((e.type === 'message.created' && e.message.status === 'completed') || e.type === 'message.completed') {
      // Most chats have no classic socket: present and encode a frame only for a room that has one.
      if (nsp.adapter.rooms.has(e.conversationId)) nsp.to(e.conversationId).emit('message', presentMessage(e.message))
    } else if (e.type === 'conversation.deleted') {
      nsp.in(e.conversationId).disconnectSockets(true)
    } else if (e.type === 'user.updated' && !e.user.is_active) {
      // A disabled account's sockets are closed at once.
      for (const socket of nsp.sockets.values()) if (socket.data.userId === e.userId) socket.disconnect(true)
    }
  })
  app.addHook('onClose', async () => unsubscribe())
}
