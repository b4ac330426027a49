import type { TSchema } from '@sinclair/typebox'
import * as ai from './ai.js'
import * as apiKeys from './api-keys.js'
import * as assistants from './assistants.js'
import * as auth from './auth.js'
import * as chat from './chat.js'
import * as common from './common.js'
import * as conversations from './conversations.js'
import { WsTicket } from './frames.js'
import * as workspaces from './workspaces.js'
import * as files from './files.js'
import * as health from './health.js'
import * as tools from './tools.js'
import * as users from './users.js'
import * as webhooks from './webhooks.js'

/** Every schema with an `$id`: added to Fastify with `addSchema`, named components in OpenAPI. */
export function sharedSchemas(): TSchema[] {
  const modules: Record<string, unknown>[] = [
    common,
    auth,
    users,
    apiKeys,
    health,
    workspaces,
    conversations,
    chat,
    { WsTicket },
    webhooks,
    files,
    assistants,
    tools,
    ai
  ]
  const seen = new Map<string, TSchema>()
  for (const mod of modules) {
    for (const value of Object.values(mod)) {
      if (value && typeof value === 'object' && typeof (value as TSchema).$id === 'string') {
        const schema = value as TSchema
        const prior = seen.get(schema.$id!)
        if (prior && prior !== schema) throw new Error(`Two schemas share the $id ${schema.$id}`)
        seen.set(schema.$id!, schema)
      }
    }
  }
  return [...seen.values()]
}
