import { and, asc, count, desc, eq, exists } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { conversationParticipants, conversations, messages } from '../db/schema.js'
import type { ConversationRow } from './access.js'
import type { ConversationService, MessageRow } from './conversations.js'
import type { FileDownload, FileService, FileView, IncomingFile } from './files.js'
import { DomainError, isDomainError } from './errors.js'
import { type Page, type PageQuery, pageWindow, toPage } from './pagination.js'
import type { Principal } from './principal.js'

/** Document 004's chat: a conversation with a model, in 004's words. */
export interface ChatView {
  chat_id: string
  user_id: string
  current_model_id: string | null
  current_model_api_source: string | null
  created_timestamp: string
  files: FileView[]
}

export interface ChatMessageView {
  message_id: string
  chat_id: string
  role: MessageRow['role']
  content: string
  files: string[]
  timestamp: string
}

/** Errors speak of chats, not conversations. */
function chatError(e: unknown): unknown {
  return isDomainError(e) && e.code === 'CONVERSATION_NOT_FOUND' ? new DomainError('CHAT_NOT_FOUND', 'Chat not found') : e
}

function chatView(c: ConversationRow, files: FileView[]): ChatView {
  return {
    chat_id: c.id,
    user_id: c.creatorId,
    current_model_id: c.modelId,
    current_model_api_source: c.modelApiSource,
    created_timestamp: c.createdAt,
    files
  }
}

function chatMessageView(m: MessageRow): ChatMessageView {
  const files = (m.attachments ?? [])
    .map((a) => (a && typeof a === 'object' && 'file_id' in a ? (a as { file_id?: unknown }).file_id : undefined))
    .filter((id): id is string => typeof id === 'string')
  return { message_id: m.id, chat_id: m.conversationId, role: m.role, content: m.content, files, timestamp: m.createdAt }
}

/** The chats of document 004 are the caller's conversations; its rules are the conversations' rules. */
export class ChatService {
  constructor(
    private readonly db: Db,
    private readonly conversations: ConversationService,
    private readonly files: FileService
  ) {}

  list(p: Principal, q: PageQuery): Page<ChatView> {
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
      rows.map((c) => chatView(c, this.filesOf(p, c.id))),
      total,
      w
    )
  }

  create(p: Principal, input: { model_id: string; model_api_source: string }): ChatView {
    const { detail } = this.conversations.create(p, { model_id: input.model_id, model_api_source: input.model_api_source, is_ai: true })
    return this.get(p, detail.id)
  }

  get(p: Principal, chatId: string): ChatView {
    return chatView(this.asChat(() => this.conversations.access(p.userId, chatId)).conversation, this.filesOf(p, chatId))
  }

  delete(p: Principal, chatId: string): void {
    this.asChat(() => this.conversations.delete(p, chatId))
  }

  messages(p: Principal, chatId: string, q: PageQuery): Page<ChatMessageView> {
    this.asChat(() => this.conversations.access(p.userId, chatId))
    const w = pageWindow(q)
    const where = eq(messages.conversationId, chatId)
    const rows = this.db.select().from(messages).where(where).orderBy(asc(messages.seq)).limit(w.size).offset(w.offset).all()
    const total = this.db.select({ n: count() }).from(messages).where(where).get()!.n
    return toPage(rows.map(chatMessageView), total, w)
  }

  upload(p: Principal, chatId: string, parts: AsyncIterable<IncomingFile>): Promise<FileView[]> {
    return this.files.uploadToConversation(p, chatId, parts).catch((e: unknown) => {
      throw chatError(e)
    })
  }

  listFiles(p: Principal, chatId: string, q: PageQuery): Page<FileView> {
    return this.asChat(() => this.files.listForConversation(p, chatId, q))
  }

  download(p: Principal, chatId: string, fileId: string): FileDownload {
    return this.asChat(() => this.files.downloadFromConversation(p, chatId, fileId))
  }

  deleteFile(p: Principal, chatId: string, fileId: string): void {
    this.asChat(() => this.files.deleteFromConversation(p, chatId, fileId))
  }

  private filesOf(p: Principal, chatId: string): FileView[] {
    return this.files.listForConversation(p, chatId, { page: 1, size: 100 }).items
  }

  /** Speaks of chats, not conversations, in errors. */
  private asChat<T>(fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      throw chatError(e)
    }
  }
}
