import { ModelRegistry } from '../ai/registry.js'
import type { Db } from '../db/index.js'
import { canSeeConversation } from './access.js'
import { AgentPackageService } from './agent-packages.js'
import { AiService, type AiServiceOptions } from './ai.js'
import { AssistantService } from './assistants.js'
import { ApiKeyService } from './api-keys.js'
import { AuthService, type TokenSigner } from './auth.js'
import { BrowserSignInService } from './browser-sign-in.js'
import { ChatSecretService } from './chat-secrets.js'
import { ChatService } from './chats.js'
import { DispatchService } from './dispatch.js'
import { ConversationService } from './conversations.js'
import { HealthService } from './health.js'
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js'
import { ReplyService } from './replies.js'
import { RoomService } from './rooms.js'
import { ToolService } from './tools.js'
import { UserService } from './users.js'
import { WsTicketService } from './ws-tickets.js'
import { WorkspaceService } from './workspaces.js'
import type { EventBus, EventSubscriptions, Outbox } from './events.js'
import { type BlobStore, FileService, noBlobStore } from './files.js'
import { UnitOfWork } from './unit-of-work.js'
import { CredentialCache, type CredentialCacheOptions, DEFAULT_CREDENTIAL_CACHE } from './credential-cache.js'
import { type PasswordHashing, setPasswordHashing } from './passwords.js'
import { WebhookService } from './webhooks.js'

export interface ServiceDeps {
  db: Db
  events: EventBus
  signer: TokenSigner
  version: string
  /**
   * Where the durable side effects of events are written in their transaction: a WebhookOutbox
   * with the presenters of the surface whose webhook payloads it writes.
   */
  outbox: Outbox
  /** Where file bytes are kept (a DiskBlobStore under DATA_DIR in the app). */
  blobs?: BlobStore
  /** Model providers; the offline model only when omitted. */
  models?: ModelRegistry
  /** Let HTTP tools (and webhooks) reach private and loopback addresses (`WEBHOOK_ALLOW_PRIVATE`). */
  allowPrivateAddresses?: boolean
  /** Where background work (replies) reports failures. */
  log?: { error(obj: unknown, msg?: string): void }
  /** Bounds of the tool loop. */
  ai?: AiServiceOptions
  /** Who may sign in with a browser (`ALLOWED_EMAILS`): addresses and `@domain`s; everyone when empty. */
  allowedEmails?: readonly string[]
  /** Bounds of the per-account sign-in throttle (tests shorten the locks). */
  loginThrottle?: Partial<LoginThrottleOptions>
  /** The folder agent packages are installed from (`AGENT_REGISTRY_DIR`). */
  agentRegistryDir?: string
  /** The dispatch surface's workspace root and cap on active sessions (`WORKSPACES_ROOT`, `DISPATCH_MAX_SESSIONS`). */
  dispatch?: { root: string; maxActiveSessions: number }
  /** The argon2id cost of new password hashes (the config's); the OWASP parameters when omitted. */
  passwordHashing?: PasswordHashing
  /** Bounds of the in-memory cache of verified tokens, sessions and users (`max: 0` turns it off). */
  credentialCache?: Partial<CredentialCacheOptions>
}

/** The domain core every surface sits on. */
export function createServices(deps: ServiceDeps) {
  if (deps.passwordHashing) setPasswordHashing(deps.passwordHashing)
  const outbox = deps.outbox
  // Every write that makes a domain event, and every event, goes through this one unit of work.
  const uow = new UnitOfWork({ db: deps.db, events: deps.events, outbox, log: deps.log, onDeliveries: () => webhooks.enqueued() })
  const files = new FileService(deps.db, uow, deps.blobs ?? noBlobStore, {
    canSee: (userId, conversationId) => canSeeConversation(deps.db, conversationId, userId)
  })
  // Subscribed before anything else listens, so a revocation is in force for every listener.
  const credentials = new CredentialCache(deps.events, { ...DEFAULT_CREDENTIAL_CACHE, ...deps.credentialCache })
  const users = new UserService(deps.db, uow, files, credentials)
  const apiKeys = new ApiKeyService(deps.db, uow)
  const auth = new AuthService(deps.db, deps.signer, users, apiKeys, uow, new LoginThrottle(deps.loginThrottle), credentials)
  const browserSignIn = new BrowserSignInService(deps.db, uow, users, auth, { allowedEmails: deps.allowedEmails ?? [] })
  const health = new HealthService(deps.db, deps.version)
  const workspaces = new WorkspaceService(deps.db, uow, files)
  const models = deps.models ?? new ModelRegistry()
  const tools = new ToolService(deps.db, { allowPrivate: deps.allowPrivateAddresses ?? false })
  const assistants = new AssistantService(deps.db, tools, models)
  const conversations = new ConversationService(deps.db, uow, workspaces, files, assistants)
  const chats = new ChatService(deps.db, conversations, files, workspaces)
  const chatSecrets = new ChatSecretService(deps.db, chats, conversations, auth)
  const wsTickets = new WsTicketService(deps.db)
  const webhooks = new WebhookService(deps.db, { allowPrivate: deps.allowPrivateAddresses ?? false })
  const agentPackages = new AgentPackageService(deps.db, deps.agentRegistryDir ?? 'agents', assistants)
  const ai = new AiService(models, assistants, tools, deps.ai, files)
  const replies = new ReplyService(deps.db, deps.events, conversations, ai, deps.log)
  const rooms = new RoomService(conversations)
  const dispatch = new DispatchService(deps.db, uow, workspaces, { conversations, assistants }, deps.dispatch ?? { root: '/workspace', maxActiveSessions: 10 })
  // Surfaces listen to the bus; they publish nothing (events come from the services' writes).
  const events: EventSubscriptions = deps.events
  return {
    users,
    apiKeys,
    auth,
    browserSignIn,
    health,
    workspaces,
    conversations,
    chats,
    chatSecrets,
    wsTickets,
    webhooks,
    files,
    tools,
    assistants,
    ai,
    replies,
    rooms,
    agentPackages,
    dispatch,
    events
  }
}

export type Services = ReturnType<typeof createServices>

export { DomainError, isDomainError } from './errors.js'
export type { Principal } from './principal.js'
