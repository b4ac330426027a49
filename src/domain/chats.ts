import { and, asc, count, desc, eq, exists } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { conversationParticipants, conversations, messages, workspaces } from '../db/schema.js'
import { type AccessOptions, type ConversationAccess, type ConversationRow, workspaceRole } from './access.js'
import type { ConversationDetail, ConversationService, MessageRow } from './conversations.js'
import { DomainError, isDomainError } from './errors.js'
import type { FileDownload, FileService, FileRecord, IncomingFile } from './files.js'
import { type Page, type PageQuery, pageWindow, toPage } from './pagination.js'
import type { Principal } from './principal.js'
import type { WorkspaceService, CallerWorkspaceRecord } from './workspaces.js'

/** What a caller wants to do with a chat: see it, post in it, or delete it. */
export type ChatNeed = 'read' | 'write' | 'manage'

/** A chat: a conversation with a model, with the files uploaded to it. */
export interface ChatRecord {
  conversation: ConversationRow
  files: FileRecord[]
}

/**
 * Chats are the caller's own conversations with a model, newest first; their rules are the
 * conversations' rules, and their errors the conversations' errors.
 */
export class ChatService {
  constructor(
    private readonly db: Db,
    private readonly conversations: ConversationService,
    private readonly files: FileService,
    private readonly workspaces: Pick<WorkspaceService, 'get'>
  ) {}

  /**
   * The caller's access to a chat, checked for what they want to do. A chat that does not exist is
   * CHAT_NOT_FOUND; one they may not see is CHAT_NOT_FOUND too, or CONVERSATION_ACCESS_DENIED with
   * `disclose`; a read-only member cannot post, and only its creator (or the workspace's owner and
   * admins) deletes it (NOT_CONVERSATION_OWNER).
   */
  access(p: Principal, chatId: string, need: ChatNeed = 'read', options: AccessOptions = {}): ConversationAccess {
    let acc: ConversationAccess
    try {
      acc = this.conversations.access(p.userId, chatId)
    } catch (e) {
      if (!isDomainError(e) || e.code !== 'CONVERSATION_NOT_FOUND') throw e
      const exists = this.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.id, chatId)).get()
      if (options.disclose && exists) throw new DomainError('CONVERSATION_ACCESS_DENIED', 'The user may not see this chat')
      throw new DomainError('CHAT_NOT_FOUND', 'Chat not found')
    }
    if (need === 'write' && !acc.canWrite) {
      throw new DomainError(options.disclose ? 'CONVERSATION_ACCESS_DENIED' : 'FORBIDDEN', 'The user may read this chat but not post in it')
    }
    if (need === 'manage' && !acc.canManage) throw new DomainError('NOT_CONVERSATION_OWNER', 'Only the creator of a chat can delete it')
    return acc
  }

  /** A chat with its latest messages, checked as `access` checks it. */
  detail(p: Principal, chatId: string, options: AccessOptions = {}): ConversationDetail {
    this.access(p, chatId, 'read', options)
    return this.conversations.get(p, chatId)
  }

  /** Deletes a chat, checked as `access` checks it (`manage`). */
  remove(p: Principal, chatId: string, options: AccessOptions = {}): void {
    this.access(p, chatId, 'manage', options)
    this.conversations.delete(p, chatId)
  }

  /**
   * Starts a chat in a workspace; the caller must be a member who may post there (not a viewer):
   * WORKSPACE_NOT_FOUND otherwise, or, with `disclose`, WORKSPACE_CONTRIBUTOR_REQUIRED when the
   * workspace exists.
   */
  createInWorkspace(p: Principal, workspaceId: string, options: AccessOptions = {}): { chat: ConversationDetail; workspace: CallerWorkspaceRecord } {
    const exists = this.db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, workspaceId)).get()
    const role = exists ? workspaceRole(this.db, workspaceId, p.userId) : undefined
    if (!exists || (!role && !options.disclose)) throw new DomainError('WORKSPACE_NOT_FOUND', 'Workspace not found')
    if (!role || role === 'viewer') throw new DomainError('WORKSPACE_CONTRIBUTOR_REQUIRED', 'Only members who may post can start a chat in this workspace')
    const { detail } = this.conversations.create(p, { workspace_id: workspaceId, is_ai: true })
    return { chat: detail, workspace: this.workspaces.get(p, workspaceId) }
  }

  /** Every chat of a workspace, oldest first; any member sees them (WORKSPACE_ACCESS_DENIED with `disclose`). */
  inWorkspace(p: Principal, workspaceId: string, options: AccessOptions = {}): ConversationRow[] {
    this.workspaces.get(p, workspaceId, options)
    return this.db
      .select()
      .from(conversations)
      .where(eq(conversations.workspaceId, workspaceId))
      .orderBy(asc(conversations.createdAt), asc(conversations.id))
      .all()
  }

  list(p: Principal, q: PageQuery): Page<ChatRecord> {
    const w = pageWindow(q)
    const mine = exists(
      this.db
        .select({ one: conversationParticipants.userId })
        .from(conversationParticipants)
        .where(and(eq(conversationParticipants.conversationId, conversations.id), eq(conversationParticipants.userId, p.userId)))
    )
    const rows = this.db
      .select()
      .from(conversations)
      .where(mine)
      .orderBy(desc(conversations.createdAt), desc(conversations.id))
      .limit(w.size)
      .offset(w.offset)
      .all()
    const total = this.db.select({ n: count() }).from(conversations).where(mine).get()!.n
    return toPage(
      rows.map((c) => ({ conversation: c, files: this.filesOf(p, c.id) })),
      total,
      w
    )
  }

  create(p: Principal, input: { model_id: string; model_api_source: string }): ChatRecord {
    const { detail } = this.conversations.create(p, { model_id: input.model_id, model_api_source: input.model_api_source, is_ai: true })
    return this.get(p, detail.id)
  }

  get(p: Principal, chatId: string): ChatRecord {
    return { conversation: this.conversations.access(p.userId, chatId).conversation, files: this.filesOf(p, chatId) }
  }

  delete(p: Principal, chatId: string): void {
    this.conversations.delete(p, chatId)
  }

  messages(p: Principal, chatId: string, q: PageQuery): Page<MessageRow> {
    this.conversations.access(p.userId, chatId)
    const w = pageWindow(q)
    const where = eq(messages.conversationId, chatId)
    const rows = this.db.select().from(messages).where(where).orderBy(asc(messages.seq)).limit(w.size).offset(w.offset).all()
    const total = this.db.select({ n: count() }).from(messages).where(where).get()!.n
    return toPage(rows, total, w)
  }

  upload(p: Principal, chatId: string, parts: AsyncIterable<IncomingFile>): Promise<FileRecord[]> {
    return this.files.uploadToConversation(p, chatId, parts)
  }

  listFiles(p: Principal, chatId: string, q: PageQuery): Page<FileRecord> {
    return this.files.listForConversation(p, chatId, q)
  }

  download(p: Principal, chatId: string, fileId: string): FileDownload {
    return this.files.downloadFromConversation(p, chatId, fileId)
  }

  deleteFile(p: Principal, chatId: string, fileId: string): void {
    this.files.deleteFromConversation(p, chatId, fileId)
  }

  private filesOf(p: Principal, chatId: string): FileRecord[] {
    return this.files.listForConversation(p, chatId, { page: 1, size: 100 }).items
  }
}
