import type { Db } from '../db/index.js'
import { canSeeConversation } from './access.js'
import { ApiKeyService } from './api-keys.js'
import { AuthService, type TokenSigner } from './auth.js'
import { ChatService } from './chats.js'
import { ConversationService } from './conversations.js'
import { WsTicketService } from './ws-tickets.js'
import { WorkspaceService } from './workspaces.js'
import type { EventBus, Outbox } from './events.js'
import { type BlobStore, FileService, noBlobStore } from './files.js'
import { HealthService } from './health.js'
import { UserService } from './users.js'
import { WebhookOutbox, WebhookService } from './webhooks.js'

export interface ServiceDeps {
  db: Db
  events: EventBus
  signer: TokenSigner
  version: string
  outbox?: Outbox
  /** Let webhooks reach private and loopback addresses (`WEBHOOK_ALLOW_PRIVATE`). */
  webhookAllowPrivate?: boolean
  /** Where file bytes are kept (a DiskBlobStore under DATA_DIR in the app). */
  blobs?: BlobStore
}

/** The domain core every surface sits on. */
export function createServices(deps: ServiceDeps) {
  const outbox = deps.outbox ?? new WebhookOutbox()
  const users = new UserService(deps.db, deps.events, outbox)
  const apiKeys = new ApiKeyService(deps.db)
  const auth = new AuthService(deps.db, deps.signer, users, apiKeys, deps.events, outbox)
  const health = new HealthService(deps.db, deps.version)
  const workspaces = new WorkspaceService(deps.db, deps.events, outbox)
  const files = new FileService(deps.db, deps.blobs ?? noBlobStore, {
    canSee: (userId, conversationId) => canSeeConversation(deps.db, conversationId, userId)
  })
  const conversations = new ConversationService(deps.db, deps.events, outbox, workspaces, files)
  const chats = new ChatService(deps.db, conversations, files)
  const wsTickets = new WsTicketService(deps.db)
  const webhooks = new WebhookService(deps.db, { allowPrivate: deps.webhookAllowPrivate ?? false })
  return { users, apiKeys, auth, health, workspaces, conversations, chats, wsTickets, webhooks, files, events: deps.events }
}

export type Services = ReturnType<typeof createServices>

export { DomainError, isDomainError } from './errors.js'
export type { Principal } from './principal.js'
