import { sql } from 'drizzle-orm'
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

/**
 * Conventions: ids are UUIDv7 text; timestamps are ISO 8601 UTC text with milliseconds
 * (`2024-01-15T10:30:00.000Z`), which also sort correctly as text.
 */

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    /** Lower-cased email: uniqueness regardless of case. */
    emailNormalized: text('email_normalized').notNull(),
    passwordHash: text('password_hash'),
    fullName: text('full_name'),
    role: text('role', { enum: ['admin', 'user'] })
      .notNull()
      .default('user'),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull()
  },
  (t) => [uniqueIndex('users_email_normalized_unique').on(t.emailNormalized), index('users_created_at_idx').on(t.createdAt)]
)

/** A chain of refresh tokens born of one login. Reusing a rotated token revokes the whole family. */
export const refreshTokenFamilies = sqliteTable(
  'refresh_token_families',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull(),
    revokedAt: text('revoked_at'),
    revokedReason: text('revoked_reason')
  },
  (t) => [index('refresh_token_families_user_idx').on(t.userId)]
)

export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    familyId: text('family_id')
      .notNull()
      .references(() => refreshTokenFamilies.id, { onDelete: 'cascade' }),
    /** SHA-256 of the opaque token; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    /** Set when the token was exchanged for a new one. */
    usedAt: text('used_at')
  },
  (t) => [uniqueIndex('refresh_tokens_hash_unique').on(t.tokenHash), index('refresh_tokens_family_idx').on(t.familyId)]
)

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The first characters of the key, shown in lists so people can tell keys apart. */
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    createdAt: text('created_at').notNull(),
    lastUsedAt: text('last_used_at'),
    revokedAt: text('revoked_at')
  },
  (t) => [uniqueIndex('api_keys_hash_unique').on(t.keyHash), index('api_keys_user_idx').on(t.userId)]
)

/** Assistants: a prompt, a model and tools; conversations reference them. */
export const assistants = sqliteTable(
  'assistants',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').references(() => users.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    description: text('description'),
    personality: text('personality'),
    systemPrompt: text('system_prompt'),
    /** JSON array of tool ids. */
    tools: text('tools', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    model: text('model').notNull().default('offline'),
    temperature: real('temperature').notNull().default(0.7),
    status: text('status', { enum: ['active', 'inactive', 'draft'] })
      .notNull()
      .default('active'),
    /**
     * Who besides its owner and admins may see and use an active assistant: nobody (`private`),
     * the members of the workspaces it is attached to (`workspace`), everyone signed in (`public`).
     * Its system prompt and tools are only ever shown to its owner and admins.
     */
    visibility: text('visibility', { enum: ['private', 'workspace', 'public'] })
      .notNull()
      .default('private'),
    category: text('category'),
    /**
     * The one assistant a conversation gets when it asks for an assistant without naming one
     * (`is_ai` in the chat-app API). Made on first need, without an owner; at most one row is true.
     */
    isDefault: integer('is_default', { mode: 'boolean' }).notNull().default(false),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull()
  },
  (t) => [
    index('assistants_owner_idx').on(t.ownerId),
    index('assistants_status_idx').on(t.status),
    uniqueIndex('assistants_default_unique').on(t.isDefault).where(sql`${t.isDefault} = 1`)
  ]
)

/** Workspaces: v1's, and the ones documents 000 (classic) and 003 (dispatch) speak of. */
export const workspaces = sqliteTable(
  'workspaces',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Absolute path on the host (dispatch, 003), or null. */
    path: text('path'),
    status: text('status', { enum: ['new', 'active', 'archived'] })
      .notNull()
      .default('new'),
    lastActivityAt: text('last_activity_at'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull()
  },
  (t) => [index('workspaces_owner_idx').on(t.ownerId), index('workspaces_status_idx').on(t.status)]
)

export const workspaceMembers = sqliteTable(
  'workspace_members',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer'] })
      .notNull()
      .default('member'),
    createdAt: text('created_at').notNull()
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.userId] }), index('workspace_members_user_idx').on(t.userId)]
)

/** Assistants ("agents") attached to a workspace. */
export const workspaceAgents = sqliteTable(
  'workspace_agents',
  {
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    assistantId: text('assistant_id')
      .notNull()
      .references(() => assistants.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull()
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.assistantId] })]
)

export const conversations = sqliteTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    /** Null once its creator's account is deleted: a conversation others took part in stays theirs. */
    creatorId: text('creator_id').references(() => users.id, { onDelete: 'set null' }),
    assistantId: text('assistant_id').references(() => assistants.id, { onDelete: 'set null' }),
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    title: text('title'),
    /** true for a conversation with an assistant (`is_ai`). */
    isAi: integer('is_ai', { mode: 'boolean' }).notNull().default(true),
    /** Model of a chat: `current_model_id`, `current_model_api_source`. */
    modelId: text('model_id'),
    modelApiSource: text('model_api_source'),
    /** The seq of the newest message; the next message takes lastSeq + 1 in its insert transaction. */
    lastSeq: integer('last_seq').notNull().default(0),
    /**
     * The event sequence of the newest conversation event (a message created, edited, deleted, a
     * reply finished, a read mark moved, ...); the next event takes lastEventSeq + 1 in the
     * transaction that makes it.
     */
    lastEventSeq: integer('last_event_seq').notNull().default(0),
    lastMessageAt: text('last_message_at'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull()
  },
  (t) => [
    index('conversations_creator_idx').on(t.creatorId),
    index('conversations_assistant_idx').on(t.assistantId),
    index('conversations_workspace_idx').on(t.workspaceId)
  ]
)

export const conversationParticipants = sqliteTable(
  'conversation_participants',
  {
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lastReadSeq: integer('last_read_seq').notNull().default(0),
    joinedAt: text('joined_at').notNull()
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId] }), index('conversation_participants_user_idx').on(t.userId)]
)

export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    /** The person who sent it; null for assistant, tool and system messages. */
    senderId: text('sender_id').references(() => users.id, { onDelete: 'set null' }),
    role: text('role', { enum: ['user', 'assistant', 'system', 'tool'] }).notNull(),
    content: text('content').notNull(),
    /** JSON array of attachments ({ type, url?, file_id?, name? }). */
    attachments: text('attachments', { mode: 'json' }).$type<unknown[]>().notNull().default(sql`'[]'`),
    status: text('status', { enum: ['pending', 'streaming', 'completed', 'failed', 'cancelled'] })
      .notNull()
      .default('completed'),
    /** Tool call data for role `tool` and assistant tool requests (JSON). */
    toolCall: text('tool_call', { mode: 'json' }).$type<unknown>(),
    clientMsgId: text('client_msg_id'),
    editedAt: text('edited_at'),
    deletedAt: text('deleted_at'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull()
  },
  (t) => [
    uniqueIndex('messages_conversation_seq_unique').on(t.conversationId, t.seq),
    // Partial: most messages have no client id, and an index entry for each of them was one more
    // b-tree page written per message for nothing (a lookup by client id always names one).
    uniqueIndex('messages_client_msg_id_unique').on(t.conversationId, t.senderId, t.clientMsgId).where(sql`${t.clientMsgId} is not null`)
  ]
)

/**
 * The recent events of each conversation, numbered by its event sequence (`event_seq` 1, 2, 3, ...)
 * in the transaction that made them, so a socket that comes back gets what it missed in order:
 * edits and deletions of older messages too. Only the newest are kept (`conversation-events.ts`).
 */
export const conversationEvents = sqliteTable(
  'conversation_events',
  {
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    eventSeq: integer('event_seq').notNull(),
    type: text('type').notNull(),
    /** The message the event is about, if any: deleting it removes its content from the events before. */
    messageId: text('message_id'),
    /** The message's seq for a message event; the conversation's last seq then for the others. */
    seq: integer('seq').notNull(),
    /** The domain event, without its audience (who may see it is decided when it is read). */
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: text('created_at').notNull()
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.eventSeq] })]
)

/** The answers to idempotent requests (`Idempotency-Key`). */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** What the key was used for (e.g. `POST /api/v1/conversations/{id}/messages`) and a hash of the request. */
    scope: text('scope').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    response: text('response', { mode: 'json' }).$type<unknown>().notNull(),
    createdAt: text('created_at').notNull()
  },
  (t) => [primaryKey({ columns: [t.userId, t.scope, t.key] })]
)

/** Short-lived single-use tickets that let a browser open `/ws` without headers. */
export const wsTickets = sqliteTable('ws_tickets', {
  ticketHash: text('ticket_hash').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: text('expires_at').notNull(),
  usedAt: text('used_at'),
  /** The session (refresh-token family) the ticket was asked for in: revoking it closes the ticket's socket. */
  sessionId: text('session_id'),
  /** The API key the ticket was asked for with: deleting it closes the ticket's socket. */
  apiKeyId: text('api_key_id')
})

/**
 * An account's sign-in with an OpenID Connect provider: the provider's subject (`sub`) is linked to
 * one user. A user may have several (one per provider); a provider's subject belongs to one user.
 */
export const oauthIdentities = sqliteTable(
  'oauth_identities',
  {
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The verified email the provider gave when the identity was linked. */
    email: text('email').notNull(),
    createdAt: text('created_at').notNull(),
    lastUsedAt: text('last_used_at').notNull()
  },
  (t) => [primaryKey({ columns: [t.provider, t.subject] }), index('oauth_identities_user_idx').on(t.userId)]
)

/**
 * Browser sign-ins under way: the `state` of an authorization request (hashed), with the nonce and
 * PKCE verifier its callback needs. Each is spent by its callback, once, within minutes.
 */
export const oauthAuthorizations = sqliteTable('oauth_authorizations', {
  stateHash: text('state_hash').primaryKey(),
  provider: text('provider').notNull(),
  nonce: text('nonce').notNull(),
  codeVerifier: text('code_verifier').notNull(),
  expiresAt: text('expires_at').notNull()
})

/**
 * One-time tokens that carry a finished browser sign-in to the front end, which exchanges one for
 * the session cookies. Short-lived, single use, stored hashed.
 */
export const signInTokens = sqliteTable('sign_in_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: text('expires_at').notNull(),
  usedAt: text('used_at')
})

/**
 * Secrets that open a chat over Socket.IO: a `connection` string joins the chat's stream, a
 * `message` secret lets its holder post there. Random, stored only as a SHA-256 hash, each for one
 * chat and one user, and refused after `expires_at`.
 */
export const chatSecrets = sqliteTable(
  'chat_secrets',
  {
    secretHash: text('secret_hash').primaryKey(),
    kind: text('kind', { enum: ['connection', 'message'] }).notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    createdBy: text('created_by')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull()
  },
  (t) => [index('chat_secrets_expires_at_idx').on(t.expiresAt), index('chat_secrets_conversation_idx').on(t.conversationId)]
)

/**
 * Agent packages installed from the registry folder: each name and version installs once, as an
 * assistant; installing it again finds the same assistant.
 */
export const agentPackages = sqliteTable(
  'agent_packages',
  {
    name: text('name').notNull(),
    version: text('version').notNull(),
    assistantId: text('assistant_id')
      .notNull()
      .references(() => assistants.id, { onDelete: 'cascade' }),
    installedAt: text('installed_at').notNull()
  },
  (t) => [primaryKey({ columns: [t.name, t.version] })]
)

/** Custom tools (admin-created HTTP tools). Built-in tools live in code (`src/ai/tools`). */
export const tools = sqliteTable('tools', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull(),
  category: text('category').notNull().default('custom'),
  /** JSON Schema of the arguments. */
  parameters: text('parameters', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  kind: text('kind', { enum: ['http'] })
    .notNull()
    .default('http'),
  url: text('url').notNull(),
  method: text('method', { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] })
    .notNull()
    .default('POST'),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull()
})

/** Stored files. Bytes live on disk under DATA_DIR, content-addressed by `sha256`: equal bytes are stored once. */
export const files = sqliteTable(
  'files',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The chat/conversation the file was uploaded to, or null for `/files/upload`. */
    conversationId: text('conversation_id').references(() => conversations.id, { onDelete: 'cascade' }),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    /** image, document, data or archive (the accepted kinds). */
    kind: text('kind', { enum: ['image', 'document', 'data', 'archive'] }).notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    createdAt: text('created_at').notNull()
  },
  (t) => [index('files_owner_idx').on(t.ownerId), index('files_conversation_idx').on(t.conversationId), index('files_sha256_idx').on(t.sha256)]
)

/** Files attached to messages. */
export const messageFiles = sqliteTable(
  'message_files',
  {
    messageId: text('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    fileId: text('file_id')
      .notNull()
      .references(() => files.id, { onDelete: 'cascade' })
  },
  (t) => [primaryKey({ columns: [t.messageId, t.fileId] }), index('message_files_file_idx').on(t.fileId)]
)

export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** JSON array of event names. */
    events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
    /** Standard Webhooks secret (`whsec_…`). */
    secret: text('secret').notNull(),
    description: text('description'),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    /** Consecutive failed deliveries; past a bound the webhook is disabled. */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    disabledAt: text('disabled_at'),
    disabledReason: text('disabled_reason'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull()
  },
  (t) => [index('webhooks_owner_idx').on(t.ownerId)]
)

/** The outbox: one row per (webhook, event), written in the transaction that made the event. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    /** The Standard Webhooks `webhook-id`: the same on every attempt of one delivery. */
    messageId: text('message_id').notNull(),
    event: text('event').notNull(),
    payload: text('payload', { mode: 'json' }).$type<unknown>().notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastDurationMs: integer('last_duration_ms'),
    deliveredAt: text('delivered_at'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull()
  },
  (t) => [index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt), index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt)]
)

/**
 * Sessions of the dispatch surface: a shell (`pty`) or an assistant conversation (`claude`) run in
 * a workspace's folder. The live process belongs to the server that started it; a row says what
 * became of it. Rows of a deleted workspace go with it.
 */
export const dispatchSessions = sqliteTable(
  'dispatch_sessions',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    type: text('type', { enum: ['pty', 'claude'] }).notNull(),
    status: text('status', { enum: ['starting', 'running', 'stopped', 'error'] })
      .notNull()
      .default('starting'),
    cols: integer('cols').notNull(),
    rows: integer('rows').notNull(),
    /** The shell's process id while a `pty` session runs (kept after, for the record). */
    pid: integer('pid'),
    /** The conversation a `claude` session talks in. */
    conversationId: text('conversation_id').references(() => conversations.id, { onDelete: 'set null' }),
    exitCode: integer('exit_code'),
    /** Why a session ended in `error`. */
    error: text('error'),
    createdAt: text('created_at').notNull(),
    lastActivityAt: text('last_activity_at').notNull(),
    endedAt: text('ended_at')
  },
  (t) => [index('dispatch_sessions_workspace_idx').on(t.workspaceId, t.status), index('dispatch_sessions_status_idx').on(t.status)]
)
