import { and, asc, count, desc, eq, gt, inArray, isNull, lt, ne, or, sql, type SQL } from 'drizzle-orm'
import type { Db, Tx } from '../db/index.js'
import { prepared, preparedPlain } from '../db/prepared.js'
import { assistants, conversationParticipants, conversations, messages, users, workspaceMembers, workspaces } from '../db/schema.js'
import { conversationEventsAfter, type EventReplay } from './conversation-events.js'
import { canSeeAssistant, type ConversationAccess, conversationAccess, conversationAudience, type ConversationRow, workspaceRole } from './access.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import type { Attachment, ConversationRecord, MessageRecord, ToolCallRecord } from './events.js'

export type { Attachment }
import { IdempotencyService, requestHash } from './idempotency.js'
import { type Page, type PageQuery, pageWindow, parseSort, toPage } from './pagination.js'
import type { Principal } from './principal.js'
import type { WorkspaceService } from './workspaces.js'
import type { FileService } from './files.js'
import type { AssistantService } from './assistants.js'
import type { UnitOfWork, Work } from './unit-of-work.js'

export type MessageRow = typeof messages.$inferSelect

export interface ParticipantRecord {
  user_id: string
  last_read_seq: number
  joined_at: string
}

export interface ConversationSummary extends ConversationRecord {
  last_message_at: string | null
  unread_count: number
  /** The model of a chat. */
  model_id: string | null
  model_api_source: string | null
}

export interface ConversationDetail extends ConversationSummary {
  participants: ParticipantRecord[]
  messages: MessageRecord[]
}

export interface CreateConversationInput {
  assistant_id?: string | null
  title?: string | null
  initial_message?: string | null
  workspace_id?: string | null
  participant_ids?: string[]
  is_ai?: boolean
  /** Without an `assistant_id`: the conversation is with the default assistant. */
  with_default_assistant?: boolean
  model_id?: string | null
  model_api_source?: string | null
}

/** A conversation with the people who take part in it. */
export interface ConversationWithParticipants extends ConversationRecord {
  last_message_at: string | null
  participant_ids: string[]
}

/** A conversation and all its messages, oldest first. */
export interface Transcript {
  conversation: ConversationRecord
  messages: MessageRecord[]
}

export interface ListConversationsQuery extends PageQuery {
  assistant_id?: string
  workspace_id?: string
}

export interface SendMessageInput {
  content: string
  attachments?: Attachment[]
  client_msg_id?: string | null
  role?: 'user'
}

export interface HistoryQuery {
  after_seq?: number
  before_seq?: number
  limit?: number
}

export interface History {
  items: MessageRecord[]
  has_more: boolean
  /** The seq of the newest message of the conversation. */
  last_seq: number
}

export interface SendResult {
  message: MessageRecord
  /** false when an idempotent retry returned the first answer. */
  created: boolean
}

export const LATEST_MESSAGES_IN_DETAIL = 50
export const MAX_HISTORY_PAGE = 200

const SORTABLE = ['created_at', 'updated_at', 'last_message_at', 'title'] as const
const SORT_COLUMNS = {
  created_at: conversations.createdAt,
  updated_at: conversations.updatedAt,
  last_message_at: conversations.lastMessageAt,
  title: conversations.title
}

// The statements of sending a message and reading history, prepared once per connection.
const nextMessageSeq = (db: Tx) =>
  db
    .update(conversations)
    .set({ lastSeq: sql`${conversations.lastSeq} + 1`, lastMessageAt: sql`${sql.placeholder('now')}`, updatedAt: sql`${sql.placeholder('now')}` })
    .where(eq(conversations.id, sql.placeholder('id')))
    .returning({ lastSeq: conversations.lastSeq })
    .prepare()
const insertMessageRow = (db: Tx) =>
  db
    .insert(messages)
    .values({
      id: sql.placeholder('id'),
      conversationId: sql.placeholder('conversationId'),
      seq: sql.placeholder('seq'),
      senderId: sql.placeholder('senderId'),
      role: sql.placeholder('role'),
      content: sql.placeholder('content'),
      // JSON columns take their text as it is (a placeholder would encode a null as 'null').
      attachments: sql`${sql.placeholder('attachments')}`,
      status: sql.placeholder('status'),
      toolCall: sql`${sql.placeholder('toolCall')}`,
      clientMsgId: sql.placeholder('clientMsgId'),
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now')
    })
    .prepare()
const markReadUpTo = (db: Tx) =>
  db
    .update(conversationParticipants)
    .set({ lastReadSeq: sql`${sql.placeholder('seq')}` })
    .where(and(eq(conversationParticipants.conversationId, sql.placeholder('conversationId')), eq(conversationParticipants.userId, sql.placeholder('userId'))))
    .prepare()
const messageByClientId = (db: Tx) =>
  db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, sql.placeholder('conversationId')),
        eq(messages.senderId, sql.placeholder('senderId')),
        eq(messages.clientMsgId, sql.placeholder('clientMsgId'))
      )
    )
    .prepare()
const historyWindow = and(
  eq(messages.conversationId, sql.placeholder('conversationId')),
  gt(messages.seq, sql.placeholder('after')),
  lt(messages.seq, sql.placeholder('before'))
)
// History pages are read as plain rows (preparedPlain): these columns, in this order.
const HISTORY_COLUMNS = {
  id: messages.id,
  conversation_id: messages.conversationId,
  seq: messages.seq,
  role: messages.role,
  sender_id: messages.senderId,
  content: messages.content,
  attachments: messages.attachments,
  status: messages.status,
  tool_call: messages.toolCall,
  client_msg_id: messages.clientMsgId,
  created_at: messages.createdAt,
  updated_at: messages.updatedAt,
  edited_at: messages.editedAt,
  deleted_at: messages.deletedAt
}
const messagesForward = (db: Tx) => db.select(HISTORY_COLUMNS).from(messages).where(historyWindow).orderBy(asc(messages.seq)).limit(sql.placeholder('limit'))
const messagesBackward = (db: Tx) => db.select(HISTORY_COLUMNS).from(messages).where(historyWindow).orderBy(desc(messages.seq)).limit(sql.placeholder('limit'))

const HISTORY_KEYS = Object.keys(HISTORY_COLUMNS) as (keyof typeof HISTORY_COLUMNS)[]

/** A history row's values, in HISTORY_COLUMNS' order (JSON columns as their text), as a record. */
function messageRecordOfValues(values: unknown[]): MessageRecord {
  const m: Record<string, unknown> = {}
  for (let i = 0; i < HISTORY_KEYS.length; i++) m[HISTORY_KEYS[i] as string] = values[i]
  m.attachments = JSON.parse(m.attachments as string)
  if (m.tool_call !== null) m.tool_call = JSON.parse(m.tool_call as string)
  return m as unknown as MessageRecord
}
const lastSeqOf = (db: Tx) =>
  db
    .select({ s: conversations.lastSeq })
    .from(conversations)
    .where(eq(conversations.id, sql.placeholder('id')))
    .prepare()

export function messageRecord(m: MessageRow): MessageRecord {
  return {
    id: m.id,
    conversation_id: m.conversationId,
    seq: m.seq,
    role: m.role,
    sender_id: m.senderId,
    content: m.content,
    attachments: (m.attachments ?? []) as Attachment[],
    status: m.status,
    tool_call: (m.toolCall as ToolCallRecord | null) ?? null,
    client_msg_id: m.clientMsgId,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    edited_at: m.editedAt,
    deleted_at: m.deletedAt
  }
}

export function conversationRecord(c: ConversationRow): ConversationRecord {
  return {
    id: c.id,
    title: c.title,
    assistant_id: c.assistantId,
    workspace_id: c.workspaceId,
    creator_id: c.creatorId,
    is_ai: c.isAi,
    last_seq: c.lastSeq,
    created_at: c.createdAt,
    updated_at: c.updatedAt
  }
}

/**
 * Conversations, their messages and read state. Every message takes the next per-conversation
 * `seq` in its insert transaction; every change is a domain event emitted in the change's unit of
 * work, published after the commit.
 */
export class ConversationService {
  private readonly idempotency: IdempotencyService

  constructor(
    private readonly db: Db,
    private readonly uow: UnitOfWork,
    private readonly workspaces: Pick<WorkspaceService, 'touch'>,
    private readonly files: Pick<FileService, 'attachmentsFor' | 'linkToMessage' | 'releaseConversation' | 'sweep' | 'unlinkMessage'>,
    /** Gives conversations that ask for it the default assistant. */
    private readonly assistants?: Pick<AssistantService, 'defaultAssistant'>
  ) {
    this.idempotency = new IdempotencyService(db)
  }

  /** Forgets stored idempotent answers past their time to live; returns how many. */
  pruneIdempotencyKeys(): number {
    return this.idempotency.prune()
  }

  /** Who may see a conversation now: its participants and its workspace's members. */
  audience(tx: Tx, c: ConversationRow): string[] {
    return conversationAudience(tx, c)
  }

  /** Throws CONVERSATION_NOT_FOUND unless the user may see the conversation. */
  access(userId: string, conversationId: string): ConversationAccess {
    return conversationAccess(this.db, conversationId, userId)
  }

  create(p: Principal, input: CreateConversationInput, idempotencyKey?: string): { detail: ConversationDetail; created: boolean } {
    // Only a request with a key is compared with the one stored under it.
    const hash = idempotencyKey ? requestHash(input) : ''
    const scope = 'conversations.create'
    let replay: ConversationDetail | undefined
    const id = this.uow.run((w) => {
      const { tx } = w
      if (idempotencyKey) {
        const stored = this.idempotency.lookup(tx, p.userId, scope, idempotencyKey, hash)
        if (stored) {
          replay = stored.body as ConversationDetail
          return replay.id
        }
      }
      let assistantId: string | null = null
      if (input.assistant_id) {
        const a = tx.select().from(assistants).where(eq(assistants.id, input.assistant_id)).get()
        if (!a || !canSeeAssistant(tx, p, a)) {
          throw new DomainError('ASSISTANT_NOT_FOUND', 'Assistant not found')
        }
        assistantId = a.id
      } else if (input.with_default_assistant) {
        if (!this.assistants) throw new Error('This ConversationService was built without assistants')
        assistantId = this.assistants.defaultAssistant(tx).id
      }
      if (input.workspace_id) {
        const w = tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, input.workspace_id)).get()
        const role = w ? workspaceRole(tx, w.id, p.userId) : undefined
        if (!role) throw new DomainError('WORKSPACE_NOT_FOUND', 'Workspace not found')
        if (role === 'viewer') throw new DomainError('FORBIDDEN', 'Viewers cannot start conversations in this workspace')
      }
      const others = [...new Set(input.participant_ids ?? [])].filter((u) => u !== p.userId)
      if (others.length) {
        const found = tx.select({ id: users.id }).from(users).where(inArray(users.id, others)).all()
        if (found.length !== others.length) {
          const known = new Set(found.map((f) => f.id))
          const missing = others.filter((o) => !known.has(o))
          throw new DomainError('VALIDATION_ERROR', `Unknown participant(s): ${missing.join(', ')}`, [
            { field: 'body.participant_ids', message: `unknown user id(s): ${missing.join(', ')}` }
          ])
        }
      }
      const now = nowIso()
      const row = tx
        .insert(conversations)
        .values({
          id: newId(),
          creatorId: p.userId,
          assistantId,
          workspaceId: input.workspace_id ?? null,
          title: input.title ?? null,
          isAi: input.is_ai ?? (assistantId !== null || others.length === 0),
          modelId: input.model_id ?? null,
          modelApiSource: input.model_api_source ?? null,
          createdAt: now,
          updatedAt: now
        })
        .returning()
        .get()
      for (const userId of [p.userId, ...others]) {
        tx.insert(conversationParticipants).values({ conversationId: row.id, userId, joinedAt: now }).run()
      }
      const audience = this.audience(tx, row)
      w.emit({ type: 'conversation.created', conversation: conversationRecord(row), actorId: p.userId, audience })
      if (input.initial_message) this.insertMessage(w, row, p.userId, { content: input.initial_message }, audience)
      if (row.workspaceId) this.touchWorkspace(tx, row.workspaceId, now)
      if (idempotencyKey) {
        this.idempotency.store(tx, p.userId, scope, idempotencyKey, hash, { statusCode: 201, body: this.detail(tx, row.id, p.userId) })
      }
      return row.id
    })
    if (replay) return { detail: replay, created: false }
    return { detail: this.detail(this.db, id, p.userId), created: true }
  }

  list(p: Principal, q: ListConversationsQuery): Page<ConversationSummary> {
    const w = pageWindow(q)
    const sort = parseSort(q.sort, SORTABLE, { field: 'updated_at', direction: 'desc' })
    const visible = or(
      sql`exists (select 1 from ${conversationParticipants} cp where cp.conversation_id = ${conversations.id} and cp.user_id = ${p.userId})`,
      sql`(${conversations.workspaceId} is not null and exists (select 1 from ${workspaceMembers} wm where wm.workspace_id = ${conversations.workspaceId} and wm.user_id = ${p.userId}))`
    )!
    const filters: SQL[] = [visible]
    if (q.assistant_id) filters.push(eq(conversations.assistantId, q.assistant_id))
    if (q.workspace_id) filters.push(eq(conversations.workspaceId, q.workspace_id))
    const where = and(...filters)
    const column = SORT_COLUMNS[sort.field]
    const order = sort.direction === 'asc' ? asc(column) : desc(column)
    const rows = this.db.select().from(conversations).where(where).orderBy(order, desc(conversations.id)).limit(w.size).offset(w.offset).all()
    const total = this.db.select({ n: count() }).from(conversations).where(where).get()!.n
    const unread = this.unreadCounts(
      p.userId,
      rows.map((r) => r.id)
    )
    return toPage(
      rows.map((r) => this.summary(r, unread.get(r.id) ?? 0)),
      total,
      w
    )
  }

  /** The conversations the caller takes part in (not those they only see through a workspace), latest activity first. */
  listTakingPart(p: Principal): ConversationWithParticipants[] {
    const rows = this.db
      .select({ conversation: conversations })
      .from(conversations)
      .innerJoin(conversationParticipants, eq(conversationParticipants.conversationId, conversations.id))
      .where(eq(conversationParticipants.userId, p.userId))
      .orderBy(desc(conversations.updatedAt), desc(conversations.id))
      .all()
      .map((r) => r.conversation)
    const ids = rows.map((r) => r.id)
    const members = new Map<string, string[]>()
    if (ids.length) {
      const all = this.db
        .select()
        .from(conversationParticipants)
        .where(inArray(conversationParticipants.conversationId, ids))
        .orderBy(asc(conversationParticipants.joinedAt), asc(conversationParticipants.userId))
        .all()
      for (const m of all) members.set(m.conversationId, [...(members.get(m.conversationId) ?? []), m.userId])
    }
    return rows.map((c) => ({ ...conversationRecord(c), last_message_at: c.lastMessageAt, participant_ids: members.get(c.id) ?? [] }))
  }

  /** A conversation the caller may see, with every message, oldest first. */
  transcript(p: Principal, conversationId: string): Transcript {
    const { conversation } = this.access(p.userId, conversationId)
    const rows = this.db.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(asc(messages.seq)).all()
    return { conversation: conversationRecord(conversation), messages: rows.map(messageRecord) }
  }

  get(p: Principal, conversationId: string): ConversationDetail {
    this.access(p.userId, conversationId)
    return this.detail(this.db, conversationId, p.userId)
  }

  update(p: Principal, conversationId: string, input: { title?: string | null }): ConversationDetail {
    this.uow.run((w) => {
      const { tx } = w
      const acc = conversationAccess(tx, conversationId, p.userId)
      if (!acc.canWrite) throw new DomainError('FORBIDDEN', 'You may read this conversation but not change it')
      if (input.title === undefined) return
      const row = tx.update(conversations).set({ title: input.title, updatedAt: nowIso() }).where(eq(conversations.id, conversationId)).returning().get()
      w.emit({ type: 'conversation.updated', conversation: conversationRecord(row), actorId: p.userId, audience: this.audience(tx, row) })
    })
    return this.detail(this.db, conversationId, p.userId)
  }

  /** Deletes a conversation with its messages. Its creator and the workspace's owner/admins may. */
  delete(p: Principal, conversationId: string): void {
    this.uow.run((w) => {
      const { tx } = w
      const acc = conversationAccess(tx, conversationId, p.userId)
      if (!acc.canManage) throw new DomainError('NOT_CONVERSATION_OWNER', 'Only the creator of a conversation can delete it')
      const audience = this.audience(tx, acc.conversation)
      const blobs = this.files.releaseConversation(tx, conversationId)
      tx.delete(conversations).where(eq(conversations.id, conversationId)).run()
      if (blobs.length) w.afterCommit(() => this.files.sweep(blobs))
      w.emit({ type: 'conversation.deleted', conversationId, actorId: p.userId, audience })
    })
  }

  /**
   * Sends a person's message. A retry with the same `client_msg_id` (or `Idempotency-Key`)
   * returns the first message instead of making another.
   */
  send(p: Principal, conversationId: string, input: SendMessageInput, idempotencyKey?: string): SendResult {
    const scope = `messages.send:${conversationId}`
    // Only a request with a key is compared with the one stored under it.
    const hash = idempotencyKey ? requestHash(input) : ''
    // Attachments that name a stored file are checked (the caller's own files, or files of this
    // conversation) and completed with the file's name, type and size.
    const fileIds = (input.attachments ?? []).map((a) => a.file_id).filter((id): id is string => typeof id === 'string')
    return this.uow.run((w): SendResult => {
      const { tx } = w
      const acc = conversationAccess(tx, conversationId, p.userId)
      if (!acc.canWrite) throw new DomainError('FORBIDDEN', 'You may read this conversation but not post in it')
      if (idempotencyKey) {
        const stored = this.idempotency.lookup(tx, p.userId, scope, idempotencyKey, hash)
        if (stored) return { message: stored.body as MessageRecord, created: false }
      }
      if (input.client_msg_id) {
        const prior = prepared(tx, messageByClientId).get({ conversationId, senderId: p.userId, clientMsgId: input.client_msg_id })
        if (prior) return { message: messageRecord(prior), created: false }
      }
      if (!acc.participant) {
        // A workspace member who posts joins the conversation.
        tx.insert(conversationParticipants).values({ conversationId, userId: p.userId, joinedAt: nowIso() }).onConflictDoNothing().run()
      }
      const stored = new Map(this.files.attachmentsFor(p, conversationId, fileIds).map((a) => [a.file_id, a]))
      const attachments = (input.attachments ?? []).map((a) => (a.file_id ? { ...stored.get(a.file_id)!, ...(a.name ? { name: a.name } : {}) } : a))
      const message = this.insertMessage(w, acc.conversation, p.userId, { ...input, attachments }, this.audience(tx, acc.conversation))
      this.files.linkToMessage(tx, message.id, fileIds)
      if (idempotencyKey) this.idempotency.store(tx, p.userId, scope, idempotencyKey, hash, { statusCode: 201, body: message })
      return { message, created: true }
    })
  }

  /**
   * Appends a message that is not a person's (an assistant's reply, a tool call or result, a
   * system note). Used by the assistant runner.
   */
  appendMessage(
    conversationId: string,
    input: { role: 'assistant' | 'system' | 'tool'; content: string; status?: MessageRow['status']; tool_call?: ToolCallRecord }
  ): MessageRecord {
    return this.uow.run((w) => {
      const c = w.tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
      if (!c) throw new DomainError('CONVERSATION_NOT_FOUND', 'Conversation not found')
      return this.insertMessage(
        w,
        c,
        null,
        { content: input.content, role: input.role, status: input.status, toolCall: input.tool_call },
        this.audience(w.tx, c)
      )
    })
  }

  /**
   * Changes a message that is not a person's (an assistant reply finishing its stream). Publishes
   * `message.completed` when the status becomes final, else `message.updated`.
   */
  finishMessage(messageId: string, patch: { content?: string; status: MessageRow['status']; tool_call?: ToolCallRecord }): MessageRecord {
    return this.uow.run((w) => {
      const { tx } = w
      const m = tx.select().from(messages).where(eq(messages.id, messageId)).get()
      if (!m) throw new DomainError('MESSAGE_NOT_FOUND', 'Message not found')
      const c = tx.select().from(conversations).where(eq(conversations.id, m.conversationId)).get()!
      const row = tx
        .update(messages)
        .set({
          ...(patch.content !== undefined ? { content: patch.content } : {}),
          ...(patch.tool_call !== undefined ? { toolCall: patch.tool_call } : {}),
          status: patch.status,
          updatedAt: nowIso()
        })
        .where(eq(messages.id, messageId))
        .returning()
        .get()
      const type = patch.status === 'streaming' || patch.status === 'pending' ? 'message.updated' : 'message.completed'
      const message = messageRecord(row)
      w.emit({ type, conversationId: c.id, seq: row.seq, message, audience: this.audience(tx, c) })
      return message
    })
  }

  /** Publishes a status change of the conversation's assistant (recorded for webhooks). */
  publishAssistantStatus(conversationId: string, assistantId: string | null, status: 'thinking' | 'streaming' | 'idle'): void {
    this.uow.run((w) => {
      const c = w.tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
      if (c) w.emit({ type: 'assistant.status_changed', conversationId, assistantId, status, audience: this.audience(w.tx, c) })
    })
  }

  /** Publishes a chunk of a reply being streamed (live only: the message's content is stored when it completes). */
  publishDelta(message: MessageRecord, index: number, delta: string, audience: string[]): void {
    this.uow.publishNow({ type: 'message.delta', conversationId: message.conversation_id, messageId: message.id, seq: message.seq, index, delta, audience })
  }

  /** Publishes why an assistant's reply failed, to those who may see the conversation now. */
  publishAssistantError(conversationId: string, messageId: string | null, code: string, message: string): void {
    this.uow.run((w) => {
      const c = w.tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
      if (c) w.emit({ type: 'assistant.error', conversationId, messageId, code, message, audience: this.audience(w.tx, c) })
    })
  }

  /** Who may see a conversation now (its audience), or [] when it is gone. */
  audienceOf(conversationId: string): string[] {
    const c = this.db.select().from(conversations).where(eq(conversations.id, conversationId)).get()
    return c ? this.audience(this.db, c) : []
  }

  /** Replies left streaming by a process that stopped are marked failed (at start). */
  failInterruptedReplies(): number {
    return this.db
      .update(messages)
      .set({ status: 'failed', updatedAt: nowIso() })
      .where(inArray(messages.status, ['pending', 'streaming']))
      .run().changes
  }

  /** The conversation's stored messages, oldest first, for a model's context (the newest `limit`). */
  contextOf(conversationId: string, limit: number): MessageRecord[] {
    return this.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), isNull(messages.deletedAt)))
      .orderBy(desc(messages.seq))
      .limit(limit)
      .all()
      .reverse()
      .map(messageRecord)
  }

  history(p: Principal, conversationId: string, q: HistoryQuery): History {
    const acc = this.access(p.userId, conversationId)
    return this.historyOf(acc.conversation, q)
  }

  /** Messages by cursor, oldest first. `after_seq` pages forward; `before_seq` (or neither) pages back from there (or the end). */
  historyOf(c: ConversationRow, q: HistoryQuery): History {
    const limit = Math.min(MAX_HISTORY_PAGE, Math.max(1, q.limit ?? 50))
    const forward = q.after_seq !== undefined
    // Absent bounds are open: no seq is below 0 or above the largest integer.
    const rows = preparedPlain(
      this.db,
      forward ? messagesForward : messagesBackward
    )({
      conversationId: c.id,
      after: q.after_seq ?? -1,
      before: q.before_seq ?? Number.MAX_SAFE_INTEGER,
      limit: limit + 1
    })
    const has_more = rows.length > limit
    const page = rows.slice(0, limit)
    if (!forward) page.reverse()
    const lastSeq = prepared(this.db, lastSeqOf).get({ id: c.id })?.s ?? c.lastSeq
    return { items: page.map(messageRecordOfValues), has_more, last_seq: lastSeq }
  }

  /**
   * The conversation's events after `afterEventSeq`, oldest first, for a client that resumes: all
   * of them, or none (`complete: false`) when more than `limit` were missed.
   */
  eventsAfter(conversationId: string, afterEventSeq: number, limit: number): EventReplay {
    return conversationEventsAfter(this.db, conversationId, afterEventSeq, limit)
  }

  /** The seq of the newest message of a conversation (0 when it has none or is gone). */
  lastSeq(conversationId: string): number {
    return prepared(this.db, lastSeqOf).get({ id: conversationId })?.s ?? 0
  }

  getMessage(p: Principal, conversationId: string, messageId: string): MessageRecord {
    this.access(p.userId, conversationId)
    return messageRecord(this.requireMessage(conversationId, messageId))
  }

  editMessage(p: Principal, conversationId: string, messageId: string, input: { content: string }): MessageRecord {
    return this.uow.run((w) => {
      const { tx } = w
      const acc = conversationAccess(tx, conversationId, p.userId)
      const m = this.requireMessage(conversationId, messageId, tx)
      if (m.senderId !== p.userId) throw new DomainError('NOT_MESSAGE_AUTHOR', 'Only the author of a message can change it')
      if (m.deletedAt) throw new DomainError('MESSAGE_NOT_FOUND', 'Message was deleted')
      const now = nowIso()
      const row = tx.update(messages).set({ content: input.content, editedAt: now, updatedAt: now }).where(eq(messages.id, m.id)).returning().get()
      const message = messageRecord(row)
      w.emit({ type: 'message.updated', conversationId, seq: row.seq, message, audience: this.audience(tx, acc.conversation) })
      return message
    })
  }

  /** Deletes one's own message, leaving a tombstone (the seq stays, the content goes). */
  deleteMessage(p: Principal, conversationId: string, messageId: string): void {
    this.uow.run((w) => {
      const { tx } = w
      const acc = conversationAccess(tx, conversationId, p.userId)
      const m = this.requireMessage(conversationId, messageId, tx)
      if (m.senderId !== p.userId && !acc.canManage) throw new DomainError('NOT_MESSAGE_AUTHOR', 'Only the author of a message can delete it')
      if (m.deletedAt) return
      const now = nowIso()
      this.files.unlinkMessage(tx, m.id)
      const row = tx.update(messages).set({ content: '', attachments: [], deletedAt: now, updatedAt: now }).where(eq(messages.id, m.id)).returning().get()
      w.emit({ type: 'message.deleted', conversationId, seq: row.seq, message: messageRecord(row), audience: this.audience(tx, acc.conversation) })
    })
  }

  /** Marks the conversation read up to `seq` for the caller. The mark never moves back. */
  markRead(p: Principal, conversationId: string, seq: number): { last_read_seq: number; unread_count: number } {
    const result = this.uow.run((w) => {
      const { tx } = w
      const acc = conversationAccess(tx, conversationId, p.userId)
      if (!acc.participant) {
        tx.insert(conversationParticipants).values({ conversationId, userId: p.userId, joinedAt: nowIso() }).onConflictDoNothing().run()
      }
      const target = Math.min(Math.max(0, seq), acc.conversation.lastSeq)
      const current =
        tx
          .select({ s: conversationParticipants.lastReadSeq })
          .from(conversationParticipants)
          .where(and(eq(conversationParticipants.conversationId, conversationId), eq(conversationParticipants.userId, p.userId)))
          .get()?.s ?? 0
      if (target > current) {
        tx.update(conversationParticipants)
          .set({ lastReadSeq: target })
          .where(and(eq(conversationParticipants.conversationId, conversationId), eq(conversationParticipants.userId, p.userId)))
          .run()
        w.emit({ type: 'conversation.read', conversationId, userId: p.userId, lastReadSeq: target, audience: this.audience(tx, acc.conversation) })
      }
      return Math.max(target, current)
    })
    return { last_read_seq: result, unread_count: this.unreadCounts(p.userId, [conversationId]).get(conversationId) ?? 0 }
  }

  /** Unread messages per conversation for a user: others' live messages past their read mark. */
  unreadCounts(userId: string, conversationIds: string[]): Map<string, number> {
    if (conversationIds.length === 0) return new Map()
    const rows = this.db
      .select({ id: messages.conversationId, n: count() })
      .from(messages)
      .leftJoin(
        conversationParticipants,
        and(eq(conversationParticipants.conversationId, messages.conversationId), eq(conversationParticipants.userId, userId))
      )
      .where(
        and(
          inArray(messages.conversationId, conversationIds),
          gt(messages.seq, sql`coalesce(${conversationParticipants.lastReadSeq}, 0)`),
          or(isNull(messages.senderId), ne(messages.senderId, userId)),
          isNull(messages.deletedAt)
        )
      )
      .groupBy(messages.conversationId)
      .all()
    return new Map(rows.map((r) => [r.id, r.n]))
  }

  private summary(c: ConversationRow, unread: number): ConversationSummary {
    return {
      ...conversationRecord(c),
      last_message_at: c.lastMessageAt,
      unread_count: unread,
      model_id: c.modelId,
      model_api_source: c.modelApiSource
    }
  }

  private detail(tx: Tx, conversationId: string, userId: string): ConversationDetail {
    const c = tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
    if (!c) throw new DomainError('CONVERSATION_NOT_FOUND', 'Conversation not found')
    const participants = tx
      .select()
      .from(conversationParticipants)
      .where(eq(conversationParticipants.conversationId, conversationId))
      .orderBy(asc(conversationParticipants.joinedAt), asc(conversationParticipants.userId))
      .all()
      .map((r) => ({ user_id: r.userId, last_read_seq: r.lastReadSeq, joined_at: r.joinedAt }))
    const latest = tx
      .select()
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(desc(messages.seq))
      .limit(LATEST_MESSAGES_IN_DETAIL)
      .all()
      .reverse()
      .map(messageRecord)
    const unread = this.unreadCounts(userId, [conversationId]).get(conversationId) ?? 0
    return { ...this.summary(c, unread), participants, messages: latest }
  }

  private requireMessage(conversationId: string, messageId: string, tx: Tx = this.db): MessageRow {
    const m = tx
      .select()
      .from(messages)
      .where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId)))
      .get()
    if (!m) throw new DomainError('MESSAGE_NOT_FOUND', 'Message not found')
    return m
  }

  private touchWorkspace(tx: Tx, workspaceId: string, at: string): void {
    this.workspaces.touch(tx, workspaceId, at)
  }

  /** Inserts a message with the next seq of its conversation and emits `message.created`, in the caller's unit. */
  private insertMessage(
    w: Work,
    c: ConversationRow,
    senderId: string | null,
    input: {
      content: string
      attachments?: Attachment[]
      client_msg_id?: string | null
      role?: MessageRow['role']
      status?: MessageRow['status']
      toolCall?: unknown
    },
    audience: string[]
  ): MessageRecord {
    const { tx } = w
    const now = nowIso()
    const { lastSeq: seq } = prepared(tx, nextMessageSeq).get({ id: c.id, now })!
    // The row as it is inserted: every column is given, so it is not read back.
    const row: MessageRow = {
      id: newId(),
      conversationId: c.id,
      seq,
      senderId,
      role: input.role ?? 'user',
      content: input.content,
      attachments: input.attachments ?? [],
      status: input.status ?? 'completed',
      toolCall: input.toolCall ?? null,
      clientMsgId: input.client_msg_id ?? null,
      editedAt: null,
      deletedAt: null,
      createdAt: now,
      updatedAt: now
    }
    prepared(tx, insertMessageRow).run({
      ...row,
      attachments: JSON.stringify(row.attachments),
      toolCall: row.toolCall === null ? null : JSON.stringify(row.toolCall),
      now
    })
    // Sending a message reads everything before it.
    if (senderId) prepared(tx, markReadUpTo).run({ conversationId: c.id, userId: senderId, seq })
    if (c.workspaceId) this.touchWorkspace(tx, c.workspaceId, now)
    const message = messageRecord(row)
    w.emit({ type: 'message.created', conversationId: c.id, seq, message, audience })
    return message
  }
}
