import type { Tx } from '../db/index.js'

/** A user as the domain hands it out and events carry it: never with a hash. */
export interface UserRecord {
  id: string
  email: string
  full_name: string | null
  role: 'admin' | 'user'
  is_active: boolean
  created_at: string
  updated_at: string
}

/** A file or link attached to a message. */
export interface Attachment {
  type: string
  url?: string
  file_id?: string
  name?: string
  content_type?: string
  size?: number
}

/** What a `tool` message records: the call the assistant made, or the call's result (whose text is the content). */
export type ToolCallRecord = { kind: 'call'; id: string; name: string; arguments: string } | { kind: 'result'; id: string; name: string; is_error: boolean }

/** A message as the domain hands it out and events carry it; each surface presents it in its own shape. */
export interface MessageRecord {
  id: string
  conversation_id: string
  seq: number
  role: 'user' | 'assistant' | 'system' | 'tool'
  sender_id: string | null
  content: string
  attachments: Attachment[]
  status: 'pending' | 'streaming' | 'completed' | 'failed' | 'cancelled'
  tool_call: ToolCallRecord | null
  client_msg_id: string | null
  created_at: string
  updated_at: string
  edited_at: string | null
  deleted_at: string | null
}

/** A conversation as events carry it. */
export interface ConversationRecord {
  id: string
  title: string | null
  assistant_id: string | null
  workspace_id: string | null
  creator_id: string | null
  is_ai: boolean
  last_seq: number
  created_at: string
  updated_at: string
}

/** A workspace as events carry it (without the caller's role). */
export interface WorkspaceRecord {
  id: string
  name: string
  path: string | null
  status: 'new' | 'active' | 'archived'
  owner_id: string
  /** Ids of the assistants attached to the workspace. */
  agents: string[]
  member_count: number
  last_activity_at: string | null
  created_at: string
  updated_at: string
}

/** A dispatch session as events carry it. */
export interface DispatchSessionRecord {
  id: string
  workspace_id: string
  workspace_path: string
  type: 'pty' | 'claude'
  status: 'starting' | 'running' | 'stopped' | 'error'
  cols: number
  rows: number
  pid: number | null
  conversation_id: string | null
  exit_code: number | null
  error: string | null
  created_at: string
  last_activity_at: string
  ended_at: string | null
}

/**
 * How a surface shows the records that events carry, for what sends events outside a request:
 * the WebSocket hub's frames and the webhook payloads. The surface whose wire format they speak
 * gives its presenters when the app is built; the domain itself has no wire shape.
 */
export interface RecordPresenters {
  message(m: MessageRecord): unknown
  conversation(c: ConversationRecord): unknown
  user(u: UserRecord): unknown
}

/**
 * Domain events. Services emit them in a unit of work (unit-of-work.ts), which records them in the
 * outbox in the same transaction and publishes them to the bus after the commit; the WebSocket
 * hub, webhooks and metrics listen. Services never call a listener, nor the bus, directly.
 * `audience` is the set of users allowed to see a conversation event at the time it happened.
 */
export type DomainEvent =
  | { type: 'user.created'; userId: string; user: UserRecord }
  | { type: 'user.updated'; userId: string; user: UserRecord }
  /**
   * Credentials taken away (see revocation.ts for who they revoke). Connections that outlive a
   * request (`/ws`, Socket.IO) close the sockets of the principals they revoke.
   * A session (a refresh-token family and its access tokens) ended: logout, or a reused refresh token.
   */
  | { type: 'session.revoked'; userId: string; sessionId: string; reason: 'logout' | 'refresh_reuse' }
  /** Every session of a user but `exceptSessionId` ended; with `apiKeys`, their API keys stop working too. */
  | {
      type: 'user.sessions_revoked'
      userId: string
      reason: 'password_changed' | 'disabled' | 'deleted'
      exceptSessionId: string | null
      apiKeys: boolean
    }
  | { type: 'api_key.revoked'; userId: string; apiKeyId: string }
  /*
   * Conversation events. Those with `eventSeq` take the next number of their conversation's event
   * sequence: the unit of work sets it when it records them (conversation-events.ts), so emitters
   * leave it out and every listener sees it. A deletion and a streamed chunk have none.
   */
  | { type: 'conversation.created'; conversation: ConversationRecord; actorId: string; audience: string[]; eventSeq?: number }
  | { type: 'conversation.updated'; conversation: ConversationRecord; actorId: string | null; audience: string[]; eventSeq?: number }
  | { type: 'conversation.deleted'; conversationId: string; actorId: string; audience: string[] }
  | { type: 'message.created'; conversationId: string; seq: number; message: MessageRecord; audience: string[]; eventSeq?: number }
  | { type: 'message.updated'; conversationId: string; seq: number; message: MessageRecord; audience: string[]; eventSeq?: number }
  | { type: 'message.deleted'; conversationId: string; seq: number; message: MessageRecord; audience: string[]; eventSeq?: number }
  | { type: 'conversation.read'; conversationId: string; userId: string; lastReadSeq: number; audience: string[]; eventSeq?: number }
  /** Streaming of an assistant's reply : chunks of a message not yet completed. */
  | { type: 'message.delta'; conversationId: string; messageId: string; seq: number; index: number; delta: string; audience: string[] }
  | { type: 'message.completed'; conversationId: string; seq: number; message: MessageRecord; audience: string[]; eventSeq?: number }
  /** An assistant's reply failed: the reason, for the people watching (its message is `failed`). */
  | { type: 'assistant.error'; conversationId: string; messageId: string | null; code: string; message: string; audience: string[]; eventSeq?: number }
  | {
      type: 'assistant.status_changed'
      conversationId: string
      assistantId: string | null
      status: 'thinking' | 'streaming' | 'idle'
      audience: string[]
      eventSeq?: number
    }
  /** Workspaces. `audience` is the workspace's members (for a removal, including the one removed). */
  | { type: 'workspace.created'; workspace: WorkspaceRecord; actorId: string; audience: string[] }
  | { type: 'workspace.updated'; workspace: WorkspaceRecord; actorId: string; audience: string[] }
  | { type: 'workspace.deleted'; workspaceId: string; actorId: string; audience: string[] }
  | {
      type: 'workspace.member_changed'
      workspaceId: string
      userId: string
      /** The member's role now; null when they were removed. */
      role: 'owner' | 'admin' | 'member' | 'viewer' | null
      actorId: string
      audience: string[]
    }
  /** Dispatch sessions. `audience` is the workspace's members. */
  | { type: 'dispatch_session.created'; session: DispatchSessionRecord; audience: string[] }
  | { type: 'dispatch_session.updated'; session: DispatchSessionRecord; audience: string[] }
  | { type: 'dispatch_session.ended'; session: DispatchSessionRecord; audience: string[] }

export type DomainEventType = DomainEvent['type']

/** Whether an event may reach a user: an event with an audience reaches only the users in it. */
export function reaches(e: DomainEvent, userId: string): boolean {
  return 'audience' in e ? e.audience.includes(userId) : e.userId === userId
}

export type EventListener = (event: DomainEvent) => void

export interface EventBus {
  publish(event: DomainEvent): void
  subscribe(listener: EventListener): () => void
}

/** The listening half of the bus, for whatever is not the unit of work: only it publishes. */
export type EventSubscriptions = Pick<EventBus, 'subscribe'>

/**
 * Durable side effects of an event (webhook deliveries) are written by the outbox inside the
 * transaction that made the event, so none is lost if the process dies after the commit.
 */
export interface Outbox {
  /** Writes the event's deliveries in `tx`; returns how many it wrote. */
  record(tx: Tx, event: DomainEvent): number
}

export const noOutbox: Outbox = { record: () => 0 }
