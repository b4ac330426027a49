import type { TSchema } from '@sinclair/typebox'
import * as auth from './auth.js'
import * as common from './common.js'
import * as conversations from './conversations.js'
import * as messages from './messages.js'
import * as socket from './socket.js'
import * as users from './users.js'

/** Every chat-app schema with an `$id`: the components of its OpenAPI document. */
export function chatAppSchemas(): TSchema[] {
  const out = new Map<string, TSchema>()
  for (const mod of [common, auth, users, conversations, messages, socket] as Record<string, unknown>[]) {
    for (const value of Object.values(mod)) {
      const id = (value as TSchema | undefined)?.$id
      if (typeof id === 'string') out.set(id, value as TSchema)
    }
  }
  return [...out.values()]
}
