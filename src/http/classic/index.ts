import type { FastifyInstance } from 'fastify'
import { ClassicError, classicSchemas } from '../../../schemas/classic/index.js'
import { bearerAuth } from '../auth.js'
import type { Surface } from '../surface.js'
import accounts from './accounts.js'
import agent from './agent.js'
import chat from './chat.js'
import { CLASSIC_ERROR_DESCRIPTIONS, classicErrorBody, classicStatusOf } from './errors.js'
import { chatNamespace } from './socket.js'
import workspace from './workspace.js'

/**
 * classic: the API of the original single-page chat app. Flat paths, `{"msg": ...}` answers in its
 * own words, the same access tokens as v1, and a Socket.IO namespace `/chat` for real-time chat.
 * Its users, chats and workspaces are v1's.
 */
export const classic: Surface = {
  name: 'classic',
  prefixes: ['/register', '/auth/login', '/user', '/chat', '/workspace', '/agent', '/ping'],
  errorBody: classicErrorBody,
  errorSchema: ClassicError,
  errorDescriptions: CLASSIC_ERROR_DESCRIPTIONS,
  statusOf: classicStatusOf,
  validationStatus: 400,
  auth: {
    ...bearerAuth,
    securityScheme: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `access_token` from `POST /auth/login`.' }
  },
  schemas: classicSchemas(),
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Assistant Backend: classic API',
      version: '0.0.0',
      description:
        'The API of the original single-page chat app: users, chats, workspaces and agent packages, over the same accounts ' +
        'and data as the main API. Errors are `{"msg": "..."}`. Real time: Socket.IO at `/socket.io`, namespace `/chat`, ' +
        'handshake `auth: {connection_string}` (from `GET /chat/authorize`); the server emits `message` for each new ' +
        'message; `send_message {message_string, content}` (secret from `GET /chat/authorize/message`) is acknowledged ' +
        'with the stored message or `{"msg": ...}`.'
    },
    tags: [
      { name: 'user', description: 'Registration, sign-in and settings' },
      { name: 'chat', description: 'Chats and the secrets that open them over Socket.IO' },
      { name: 'workspace', description: 'Workspaces, their chats and agents' },
      { name: 'agent', description: 'Agent packages' },
      { name: 'utility', description: 'Liveness' }
    ]
  },
  async routes(app: FastifyInstance) {
    // Its clients speak JSON only: a body of another type is treated as absent ("Missing JSON in request").
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined))
    await app.register(accounts)
    await app.register(chat)
    await app.register(workspace)
    await app.register(agent)
    chatNamespace(app, classic)
  }
}
