import type { FastifyPluginAsync } from 'fastify'
import ai from './ai.js'
import apiKeys from './api-keys.js'
import assistants from './assistants.js'
import auth from './auth.js'
import chat from './chat.js'
import conversations from './conversations.js'
import files from './files.js'
import health from './health.js'
import realtime from './realtime.js'
import internal from './internal.js'
import metrics from './metrics.js'
import tools from './tools.js'
import users from './users.js'
import workspaces from './workspaces.js'
import webhooks from './webhooks.js'

/** The v1 surface (documents 002 and 004): `/api/v1/*`, `/ws`, `/internal/*`. */
const v1: FastifyPluginAsync = async (app) => {
  await app.register(auth, { prefix: '/api/v1/auth' })
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

export default v1
