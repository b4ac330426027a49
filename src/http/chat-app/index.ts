import type { FastifyInstance } from 'fastify'
import { chatAppSchemas } from '../../../schemas/chat-app/index.js'
import { ChatAppError } from '../../../schemas/chat-app/common.js'
import { bearerAuth } from '../auth.js'
import type { Surface } from '../surface.js'
import auth from './auth.js'
import conversations from './conversations.js'
import { chatAppErrorBody, ERROR_DESCRIPTIONS, statusOf } from './errors.js'
import messages from './messages.js'
import users from './users.js'

const DESCRIPTION = `A small chat API between people and an AI assistant, with a WebSocket per conversation.
Accounts, conversations and messages are the same as in every other API this server speaks.

Every route but \`/api/auth/*\` needs \`Authorization: Bearer <access_token>\` (from \`POST /api/auth/login\`).
Every error is \`{"error": {"message": "...", "status": 400}}\`: 400 for a missing or unusable field, 401 without a
valid token, 403 when acting as someone else, 404 for an unknown id or a conversation the caller is not in.

## The conversation WebSocket

Open \`GET /api/conversations/{conversation_id}/connect\` as a WebSocket (\`Upgrade: websocket\`) with
\`Authorization: Bearer <access_token>\`. Without a valid token the upgrade is refused with a 401, and for a
conversation the caller is not in with a 404, both in the error body above. Frames are JSON text.

The server sends:
- \`{"status": "WebSocket connected", "conversation_id": "..."}\` (\`ChatAppConnectResponse\`) once, when joined;
- \`{"message_id", "conversation_id", "sender_id", "message", "timestamp"}\` (\`ChatAppSocketMessage\`) for every new
  message of the conversation, however it was sent (this socket, \`POST /api/messages\`, or any other client), the
  client's own included: that is how a send is confirmed. The assistant's replies arrive when finished, with the
  assistant's id as \`sender_id\`;
- \`{"error": {"message", "status"}}\` (\`ChatAppError\`) for a frame it refuses (the socket stays open), for an
  assistant reply that failed, and a 404 when the conversation is deleted; \`status\` is what the same failure has
  over HTTP.

The client sends \`{"message": "Hello"}\` (\`ChatAppSocketSend\`), optionally with the \`conversation_id\` and
\`sender_id\` of \`POST /api/messages\`, which must then be the socket's conversation and the signed-in user.
Frames over 64 KiB close the socket (1009); a client that does not answer pings is dropped; on shutdown the
socket closes with 1001.`

/**
 * chat-app: a small people-and-assistant chat API with a WebSocket per conversation, under
 * `/api/auth`, `/api/conversations`, `/api/messages` and `/api/users`. Errors are
 * `{"error": {"message", "status"}}`; bad input is a 400.
 */
export const chatApp: Surface = {
  name: 'chat-app',
  prefixes: ['/api/auth', '/api/conversations', '/api/messages', '/api/users'],
  errorBody: chatAppErrorBody,
  errorSchema: ChatAppError,
  errorDescriptions: ERROR_DESCRIPTIONS,
  statusOf,
  validationStatus: 400,
  auth: {
    ...bearerAuth,
    securityScheme: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `access_token` from `POST /api/auth/login`.' }
  },
  schemas: chatAppSchemas(),
  openapi: {
    openapi: '3.1.0',
    info: { title: 'Chat App API', version: '0.0.0', description: DESCRIPTION },
    tags: [
      { name: 'auth', description: 'Registration and sign-in' },
      { name: 'users', description: 'Profiles' },
      { name: 'conversations', description: 'Conversations, their messages and their WebSocket' },
      { name: 'messages', description: 'Sending messages' }
    ]
  },
  async routes(app: FastifyInstance) {
    await app.register(auth, { prefix: '/api/auth' })
    await app.register(users, { prefix: '/api/users' })
    await app.register(conversations, { prefix: '/api/conversations' })
    await app.register(messages, { prefix: '/api/messages' })
  }
}
