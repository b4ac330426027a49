import { ModelRegistry } from '../ai/registry.js'
import type { Db } from '../db/index.js'
import { AiService, type AiServiceOptions } from './ai.js'
import { AssistantService } from './assistants.js'
import { ApiKeyService } from './api-keys.js'
import { AuthService, type TokenSigner } from './auth.js'
import { type EventBus, noOutbox, type Outbox } from './events.js'
import { ChatService } from './chats.js'
import { ConversationService } from './conversations.js'
import { HealthService } from './health.js'
import { ToolService } from './tools.js'
import { UserService } from './users.js'
import { WsTicketService } from './ws-tickets.js'
import { WorkspaceService } from './workspaces.js'

export interface ServiceDeps {
  db: Db
  events: EventBus
  signer: TokenSigner
  version: string
  outbox?: Outbox
  /** Model providers; the offline model only when omitted. */
  models?: ModelRegistry
  /** Let HTTP tools (and webhooks) reach private and loopback addresses (`WEBHOOK_ALLOW_PRIVATE`). */
  allowPrivateAddresses?: boolean
  /** Bounds of the tool loop. */
  ai?: AiServiceOptions
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
  const models = deps.models ?? new ModelRegistry()
  const tools = new ToolService(deps.db, { allowPrivate: deps.allowPrivateAddresses ?? false })
  const assistants = new AssistantService(deps.db, tools, models)
  const ai = new AiService(models, assistants, tools, deps.ai)
  return { users, apiKeys, auth, health, workspaces, conversations, chats, wsTickets, tools, assistants, ai, events: deps.events }
}

export type Services = ReturnType<typeof createServices>

export { DomainError, isDomainError } from './errors.js'
export type { Principal } from './principal.js'
