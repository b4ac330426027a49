import { and, asc, count, desc, eq, exists } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { conversationParticipants, conversations, messages } from '../db/schema.js'
import type { ConversationRow } from './access.js'
import type { ConversationService, MessageRow } from './conversations.js'
import type { FileDownload, FileService, FileView, IncomingFile } from './files.js'
import { type Page, type PageQuery, pageWindow, toPage } from './pagination.js'
import type { Principal } from './principal.js'

/** A chat: a conversation with a model, with the files uploaded to it. */
export interface ChatRecord {
  conversation: ConversationRow
  files: FileView[]
}

/**
 * Chats are the caller's own conversations with a model, newest first; their rules are the
 * conversations' rules, and their errors the conversations' errors.
 */
export class ChatService {
  constructor(
    private readonly db: Db,
    private readonly conversations: ConversationService,
    private readonly files: FileService
  ) {}

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

  upload(p: Principal, chatId: string, parts: AsyncIterable<IncomingFile>): Promise<FileView[]> {
    return this.files.uploadToConversation(p, chatId, parts)
  }

  listFiles(p: Principal, chatId: string, q: PageQuery): Page<FileView> {
    return this.files.listForConversation(p, chatId, q)
  }

  download(p: Principal, chatId: string, fileId: string): FileDownload {
    return this.files.downloadFromConversation(p, chatId, fileId)
  }

  deleteFile(p: Principal, chatId: string, fileId: string): void {
    this.files.deleteFromConversation(p, chatId, fileId)
  }

  private filesOf(p: Principal, chatId: string): FileView[] {
    return this.files.listForConversation(p, chatId, { page: 1, size: 100 }).items
  }
}
