import type { FastifyInstance } from 'fastify'
import { ERROR_DESCRIPTIONS, ErrorResponse } from '../../../schemas/common.js'
import { sharedSchemas } from '../../../schemas/index.js'
import { bearerOrCookieAuth } from '../auth.js'
import type { Surface } from '../surface.js'
import ai from './ai.js'
import apiKeys from './api-keys.js'
import assistants from './assistants.js'
import auth from './auth.js'
import browserSignIn from './browser-sign-in.js'
import chat from './chat.js'
import conversations from './conversations.js'
import { v1ErrorBody } from './errors.js'
import files from './files.js'
import health from './health.js'
import { idempotentPosts } from './idempotency.js'
import internal from './internal.js'
import metrics from './metrics.js'
import realtime from './realtime.js'
import tools from './tools.js'
import users from './users.js'
import webhooks from './webhooks.js'
import workspaces from './workspaces.js'

/**
 * v1, the canonical surface: our own API, designed freely: accounts, workspaces, assistants,
 * conversations and chats, files, webhooks, AI runs. It answers for `/api/v1/*`, `/ws` and `/internal/*`,
 * and for any path no other surface claims.
 */
export const v1: Surface = {
  name: 'v1',
  prefixes: ['/api/v1', '/ws', '/internal'],
  errorBody: v1ErrorBody,
  errorSchema: ErrorResponse,
  errorDescriptions: ERROR_DESCRIPTIONS,
  validationStatus: 422,
  auth: bearerOrCookieAuth,
  schemas: sharedSchemas(),
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Assistant Backend API',
      version: '0.0.0',
      description:
        'Accounts, workspaces, assistants with tools, conversations, real-time streams, files and webhooks. ' +
        'Errors have the shape `{ detail, status_code, error_code }`.'
    },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT or API key',
          description: 'An access token from `POST /api/v1/auth/login`, or an API key from `POST /api/v1/api-keys`.'
        },
        cookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: 'access_token',
          description:
            'The HttpOnly `access_token` cookie set by browser sign-in (`GET /api/v1/auth/validate-token`). A ' +
            'cookie-authenticated POST, PUT, PATCH or DELETE must send `X-CSRF-Token` equal to the `csrf_token` cookie and, ' +
            "when it sends `Origin`, the service's own origin (`BASE_URL`) or one listed in `CORS_ORIGINS`; otherwise 403 " +
            '`CSRF_REJECTED`. Requests with a bearer token need neither.'
        }
      }
    },
    tags: [
      { name: 'auth', description: 'Registration, sign-in (with a password or a provider), tokens and cookies' },
      { name: 'users', description: 'Profiles and user administration' },
      { name: 'api-keys', description: 'Keys for programs' },
      { name: 'conversations', description: 'Conversations between people and assistants' },
      { name: 'messages', description: 'Messages of a conversation, by seq' },
      { name: 'chat', description: 'Chats with a model: the same conversations, with their files' },
      { name: 'realtime', description: 'The WebSocket stream `/ws`' },
      { name: 'workspaces', description: 'Workspaces, their members and attached assistants (agents)' },
      { name: 'health', description: 'Liveness and readiness' },
      { name: 'files', description: 'Uploads and downloads' },
      { name: 'webhooks', description: 'Event notifications to your endpoints, signed per Standard Webhooks' },
      { name: 'metrics', description: 'Prometheus metrics' },
      { name: 'assistants', description: 'Assistants: prompt, model, tools' },
      { name: 'tools', description: 'Tools assistants can call: built-in and custom HTTP tools' },
      { name: 'models', description: 'The models this server is configured for' },
      { name: 'ai', description: 'Chat completions, assistant runs and the prompt compiler' }
    ]
  },
  async routes(app: FastifyInstance) {
    idempotentPosts(app)
    await app.register(auth, { prefix: '/api/v1/auth' })
    await app.register(browserSignIn, { prefix: '/api/v1/auth' })
    await app.register(users, { prefix: '/api/v1/users' })
    await app.register(apiKeys, { prefix: '/api/v1/api-keys' })
    await app.register(conversations, { prefix: '/api/v1/conversations' })
    await app.register(chat, { prefix: '/api/v1/chat' })
    await app.register(workspaces, { prefix: '/api/v1/workspaces' })
    await app.register(health, { prefix: '/api/v1/health' })
    await app.register(webhooks, { prefix: '/api/v1/webhooks' })
    await app.register(files, { prefix: '/api/v1/files' })
    await app.register(assistants, { prefix: '/api/v1/assistants' })
    await app.register(tools, { prefix: '/api/v1/tools' })
    await app.register(ai, { prefix: '/api/v1' })
    await app.register(internal, { prefix: '/internal' })
    await app.register(realtime)
    await app.register(metrics, { prefix: '/internal' })
  }
}
