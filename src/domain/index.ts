import type { Db } from '../db/index.js'
import { ApiKeyService } from './api-keys.js'
import { AuthService, type TokenSigner } from './auth.js'
import { type EventBus, noOutbox, type Outbox } from './events.js'
import { ChatService } from './chats.js'
import { ConversationService } from './conversations.js'
import { HealthService } from './health.js'
import { UserService } from './users.js'
import { WsTicketService } from './ws-tickets.js'
import { WorkspaceService } from './workspaces.js'

export interface ServiceDeps {
  db: Db
  events: EventBus
  signer: TokenSigner
  version: string
  outbox?: Outbox
}

/** The domain core every surface sits on. */
export function createServices(deps: ServiceDeps) {
  const outbox = deps.outbox ?? noOutbox
  const users = new UserService(deps.db, deps.events, outbox)
  const apiKeys = new ApiKeyService(deps.db)
  const auth = new AuthService(deps.db, deps.signer, users, apiKeys, deps.events, outbox)
  const health = new HealthService(deps.db, deps.version)
  const workspaces = new WorkspaceService(deps.db, deps.events, outbox)
  const conversations = new ConversationService(deps.db, deps.events, outbox, workspaces)
  const chats = new ChatService(deps.db, conversations)
  const wsTickets = new WsTicketService(deps.db)
  return { users, apiKeys, auth, health, workspaces, conversations, chats, wsTickets, events: deps.events }
}

export type Services = ReturnType<typeof createServices>

export { DomainError, isDomainError } from './errors.js'
export type { Principal } from './principal.js'
