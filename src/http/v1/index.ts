import type { FastifyPluginAsync } from 'fastify'
import ai from './ai.js'
import apiKeys from './api-keys.js'
import assistants from './assistants.js'
import auth from './auth.js'
import chat from './chat.js'
import conversations from './conversations.js'
import health from './health.js'
import realtime from './realtime.js'
import internal from './internal.js'
import tools from './tools.js'
import users from './users.js'
import workspaces from './workspaces.js'

/** The v1 surface (documents 002 and 004): `/api/v1/*`, `/ws`, `/internal/*`. */
const v1: FastifyPluginAsync = async (app) => {
  await app.register(auth, { prefix: '/api/v1/auth' })
  await app.register(users, { prefix: '/api/v1/users' })
  await app.register(apiKeys, { prefix: '/api/v1/api-keys' })
  await app.register(conversations, { prefix: '/api/v1/conversations' })
  await app.register(chat, { prefix: '/api/v1/chat' })
  await app.register(workspaces, { prefix: '/api/v1/workspaces' })
  await app.register(health, { prefix: '/api/v1/health' })
  await app.register(assistants, { prefix: '/api/v1/assistants' })
  await app.register(tools, { prefix: '/api/v1/tools' })
  await app.register(ai, { prefix: '/api/v1' })
  await app.register(internal, { prefix: '/internal' })
  await app.register(realtime)
}

export default v1
