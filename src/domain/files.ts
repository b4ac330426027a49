import { createHash } from 'node:crypto'
import { extname } from 'node:path'
import type { Readable } from 'node:stream'
import { and, count, desc, eq, inArray, ne, sql } from 'drizzle-orm'
import { fileTypeFromBuffer } from 'file-type'
import type { Db, Tx } from '../db/index.js'
import { conversationParticipants, conversations, files, messageFiles, messages } from '../db/schema.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import { type Page, type PageQuery, pageWindow, toPage } from './pagination.js'
import type { Principal } from './principal.js'
import type { UnitOfWork } from './unit-of-work.js'

export type FileKind = 'image' | 'document' | 'data' | 'archive'

const MB = 1024 * 1024
/** Size limits by kind; archives count as documents. */
export const FILE_SIZE_LIMITS: Record<FileKind, number> = { image: 10 * MB, document: 50 * MB, data: 100 * MB, archive: 50 * MB }
export const MAX_FILE_SIZE = Math.max(...Object.values(FILE_SIZE_LIMITS))

interface FileType {
  mime: string
  kind: FileKind
  /** What file-type may detect in the bytes; `text` means "no binary signature, and valid UTF-8 text". */
  detected: readonly string[] | 'text'
  /** For text: what the first non-blank character may be. */
  firstChar?: RegExp
}

const ZIP_FAMILY = ['zip', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'epub', 'jar'] as const

/** The accepted types, by extension. */
export const FILE_TYPES: Record<string, FileType> = {
  png: { mime: 'image/png', kind: 'image', detected: ['png', 'apng'] },
  jpg: { mime: 'image/jpeg', kind: 'image', detected: ['jpg'] },
  jpeg: { mime: 'image/jpeg', kind: 'image', detected: ['jpg'] },
  gif: { mime: 'image/gif', kind: 'image', detected: ['gif'] },
  webp: { mime: 'image/webp', kind: 'image', detected: ['webp'] },
  pdf: { mime: 'application/pdf', kind: 'document', detected: ['pdf', 'ai'] },
  doc: { mime: 'application/msword', kind: 'document', detected: ['cfb'] },
  docx: { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', kind: 'document', detected: ['docx', 'zip'] },
  txt: { mime: 'text/plain; charset=utf-8', kind: 'document', detected: 'text' },
  csv: { mime: 'text/csv; charset=utf-8', kind: 'data', detected: 'text' },
  json: { mime: 'application/json', kind: 'data', detected: 'text', firstChar: /^[{["\-0-9tfn]/ },
  xml: { mime: 'application/xml', kind: 'data', detected: 'text', firstChar: /^</ },
  zip: { mime: 'application/zip', kind: 'archive', detected: ZIP_FAMILY },
  rar: { mime: 'application/vnd.rar', kind: 'archive', detected: ['rar'] }
}

/** Bytes read before the type is decided. */
const HEAD_BYTES = 4100

export const SUPPORTED_EXTENSIONS = Object.keys(FILE_TYPES)

/** Where the bytes live: content-addressed by SHA-256 (a disk implementation is in src/storage). */
export interface BlobStore {
  createWriter(): Promise<BlobWriter>
  open(sha256: string): Readable
  has(sha256: string): boolean
  /** Removes a blob (synchronously, so no upload can interleave with the check before it). */
  remove(sha256: string): void
}

export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>
  /** Flushes and closes the temporary file. */
  finish(): Promise<void>
  /** Moves the finished blob into place under its hash (synchronous); equal bytes already there are kept. */
  commit(sha256: string): void
  /** Discards the temporary file; a no-op after commit. */
  abort(): Promise<void>
}

/** A store for a core built without storage: every use fails. */
export const noBlobStore: BlobStore = {
  createWriter: () => Promise.reject(new Error('File storage is not configured')),
  open: () => {
    throw new Error('File storage is not configured')
  },
  has: () => false,
  remove: () => {}
}

/** One uploaded file as the HTTP layer hands it over. */
export interface IncomingFile {
  filename: string
  stream: AsyncIterable<Uint8Array>
  /** True when the transport cut the stream at its own limit. */
  truncated?: () => boolean
}

/** A stored file: its metadata, its kind and the chat it was uploaded to. */
export interface FileRecord {
  id: string
  filename: string
  created_at: string
  owner_id: string
  content_type: string
  size: number
  kind: FileKind
  /** The conversation it was uploaded to, if any. */
  conversation_id: string | null
}

export interface FileDownload {
  file: FileRecord
  /** The SHA-256 of the bytes (hex): the file's content address, and so a strong validator of it. */
  sha256: string
  /** Opens the bytes; a caller that answers without them (a `304`) opens nothing. */
  open(): Readable
}

/** An attachment of a message (`attachments` of MessageRecord). */
export interface FileAttachment {
  type: 'file'
  file_id: string
  name: string
  content_type: string
  size: number
}

/** Who may see a conversation. The conversation service can supply its own rule. */
export interface ConversationAccess {
  canSee(userId: string, conversationId: string): boolean
}

type FileRow = typeof files.$inferSelect

function fileRecord(f: FileRow): FileRecord {
  return {
    id: f.id,
    filename: f.filename,
    created_at: f.createdAt,
    owner_id: f.ownerId,
    content_type: f.contentType,
    size: f.size,
    kind: f.kind,
    conversation_id: f.conversationId
  }
}

/** The creator and the participants of a conversation see it. */
export function participantAccess(db: Db): ConversationAccess {
  return {
    canSee(userId, conversationId) {
      const c = db.select({ creatorId: conversations.creatorId }).from(conversations).where(eq(conversations.id, conversationId)).get()
      if (!c) return false
      if (c.creatorId === userId) return true
      return !!db
        .select({ u: conversationParticipants.userId })
        .from(conversationParticipants)
        .where(and(eq(conversationParticipants.conversationId, conversationId), eq(conversationParticipants.userId, userId)))
        .get()
    }
  }
}

/** A safe display name: no directories, no control characters, at most 255 characters. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? ''
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return (cleaned || 'file').slice(-255)
}

function unsupported(message: string): DomainError {
  return new DomainError('UNSUPPORTED_FILE_TYPE', message)
}

/** Decides from the bytes whether they are what the name says. */
async function checkType(type: FileType, ext: string, head: Buffer): Promise<void> {
  const detected = await fileTypeFromBuffer(head)
  if (type.detected === 'text') {
    if (detected && !detected.mime.startsWith('text/') && detected.ext !== 'xml') {
      throw unsupported(`The file is named .${ext} but its bytes are ${detected.ext.toUpperCase()}`)
    }
    if (head.includes(0)) throw unsupported(`The file is named .${ext} but is not text`)
    // A multi-byte character may be cut at the end of the head: drop up to 3 trailing bytes.
    let text: string | undefined
    for (let cut = 0; cut <= Math.min(3, head.length) && text === undefined; cut++) {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut))
      } catch {
        if (head.length < HEAD_BYTES) break
      }
    }
    if (text === undefined) throw unsupported(`The file is named .${ext} but is not UTF-8 text`)
    const first = text.replace(/^\uFEFF/, '').trimStart()
    if (type.firstChar && first && !type.firstChar.test(first)) throw unsupported(`The file is named .${ext} but does not look like ${ext.toUpperCase()}`)
    return
  }
  if (!detected) throw unsupported(`The file is named .${ext} but its bytes are not ${ext.toUpperCase()}`)
  if (!type.detected.includes(detected.ext)) {
    throw unsupported(`The file is named .${ext} but its bytes are ${detected.ext.toUpperCase()}`)
  }
}

/**
 * Files: uploads (streamed to a temporary blob while hashed, size-limited by kind and typed from
 * their bytes as well as their name), downloads, deletion, and the chat (conversation) files of
 * chats. Rows are metadata; equal bytes share one blob, removed with the last row using it.
 */
export class FileService {
  constructor(
    private readonly db: Db,
    private readonly uow: UnitOfWork,
    private readonly blobs: BlobStore,
    private readonly access: ConversationAccess = participantAccess(db)
  ) {}

  /** Stores one file for the caller (`POST /api/v1/files/upload`). */
  async upload(p: Principal, file: IncomingFile, conversationId: string | null = null): Promise<FileRecord> {
    const filename = cleanFilename(file.filename)
    const ext = extname(filename).slice(1).toLowerCase()
    const type = FILE_TYPES[ext]
    if (!type) {
      throw unsupported(`Files of type ${ext ? `.${ext}` : '(no extension)'} are not accepted; accepted: ${SUPPORTED_EXTENSIONS.join(', ')}`)
    }
    const limit = FILE_SIZE_LIMITS[type.kind]
    const writer = await this.blobs.createWriter()
    try {
      const hash = createHash('sha256')
      let size = 0
      let head: Buffer | undefined = Buffer.alloc(0)
      for await (const chunk of file.stream) {
        size += chunk.length
        if (size > limit) throw tooLarge(type.kind, limit)
        if (head) {
          head = Buffer.concat([head, chunk])
          if (head.length >= HEAD_BYTES) {
            await checkType(type, ext, head.subarray(0, HEAD_BYTES))
            head = undefined
          }
        }
        hash.update(chunk)
        await writer.write(chunk)
      }
      if (file.truncated?.()) throw tooLarge(type.kind, limit)
      if (head) await checkType(type, ext, head)
      await writer.finish()
      const sha256 = hash.digest('hex')
      // Synchronous from here: no delete can remove the blob between its commit and its row.
      writer.commit(sha256)
      const row = this.db
        .insert(files)
        .values({ id: newId(), ownerId: p.userId, conversationId, filename, contentType: type.mime, kind: type.kind, size, sha256, createdAt: nowIso() })
        .returning()
        .get()
      return fileRecord(row)
    } catch (err) {
      await writer.abort()
      throw err
    }
  }

  get(p: Principal, fileId: string): FileRecord {
    return fileRecord(this.requireReadable(p, fileId))
  }

  download(p: Principal, fileId: string): FileDownload {
    const row = this.requireReadable(p, fileId)
    return { file: fileRecord(row), sha256: row.sha256, open: () => this.blobs.open(row.sha256) }
  }

  /** Deletes one's own file; idempotent (an unknown id, or another's file, changes nothing). */
  delete(p: Principal, fileId: string): void {
    this.uow.run((w) => {
      const row = w.tx
        .select()
        .from(files)
        .where(and(eq(files.id, fileId), eq(files.ownerId, p.userId)))
        .get()
      if (!row) return
      w.tx.delete(files).where(eq(files.id, fileId)).run()
      w.afterCommit(() => this.sweep([row.sha256]))
    })
  }

  // --- Chat files (/api/v1/chat/{chat_id}/upload, /files, /files/{file_id}) ---

  /** Stores several files in a conversation; if one is refused none is kept. */
  async uploadToConversation(p: Principal, conversationId: string, parts: AsyncIterable<IncomingFile>): Promise<FileRecord[]> {
    this.requireConversation(p, conversationId)
    const stored: FileRecord[] = []
    try {
      for await (const part of parts) stored.push(await this.upload(p, part, conversationId))
    } catch (err) {
      for (const f of stored) this.delete(p, f.id)
      throw err
    }
    return stored
  }

  listForConversation(p: Principal, conversationId: string, q: PageQuery): Page<FileRecord> {
    this.requireConversation(p, conversationId)
    const w = pageWindow(q)
    const where = eq(files.conversationId, conversationId)
    const rows = this.db.select().from(files).where(where).orderBy(desc(files.createdAt), desc(files.id)).limit(w.size).offset(w.offset).all()
    const total = this.db.select({ n: count() }).from(files).where(where).get()!.n
    return toPage(rows.map(fileRecord), total, w)
  }

  downloadFromConversation(p: Principal, conversationId: string, fileId: string): FileDownload {
    this.requireConversation(p, conversationId)
    const row = this.db
      .select()
      .from(files)
      .where(and(eq(files.id, fileId), eq(files.conversationId, conversationId)))
      .get()
    if (!row) throw new DomainError('FILE_NOT_FOUND', 'File not found')
    return { file: fileRecord(row), sha256: row.sha256, open: () => this.blobs.open(row.sha256) }
  }

  /**
   * Deletes a file of a conversation: its uploader or the conversation's creator may. Idempotent:
   * a file already gone is no error.
   */
  deleteFromConversation(p: Principal, conversationId: string, fileId: string): void {
    this.requireConversation(p, conversationId)
    const creator = this.db.select({ id: conversations.creatorId }).from(conversations).where(eq(conversations.id, conversationId)).get()?.id
    this.uow.run((w) => {
      const row = w.tx
        .select()
        .from(files)
        .where(and(eq(files.id, fileId), eq(files.conversationId, conversationId)))
        .get()
      if (!row) return
      if (row.ownerId !== p.userId && creator !== p.userId) throw new DomainError('FORBIDDEN', 'Only the uploader or the chat owner can delete this file')
      w.tx.delete(files).where(eq(files.id, fileId)).run()
      w.afterCommit(() => this.sweep([row.sha256]))
    })
  }

  /**
   * For the conversation service, inside the transaction that deletes a conversation: removes the
   * rows of its files that nothing outside it references (files attached to messages elsewhere
   * stay, no longer tied to the chat). Returns the blobs to `sweep` after the commit (the
   * unit of work's `afterCommit`).
   */
  releaseConversation(tx: Tx, conversationId: string): string[] {
    const rows = tx.select({ id: files.id, sha256: files.sha256 }).from(files).where(eq(files.conversationId, conversationId)).all()
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const keep = new Set(
      tx
        .select({ fileId: messageFiles.fileId })
        .from(messageFiles)
        .innerJoin(messages, eq(messageFiles.messageId, messages.id))
        .where(and(inArray(messageFiles.fileId, ids), ne(messages.conversationId, conversationId)))
        .all()
        .map((r) => r.fileId)
    )
    const drop = ids.filter((id) => !keep.has(id))
    if (keep.size)
      tx.update(files)
        .set({ conversationId: null })
        .where(inArray(files.id, [...keep]))
        .run()
    if (drop.length) tx.delete(files).where(inArray(files.id, drop)).run()
    return [...new Set(rows.filter((r) => !keep.has(r.id)).map((r) => r.sha256))]
  }

  /** The blobs of a user's files, to `sweep` after the commit that removed the user's rows. */
  blobsOwnedBy(tx: Tx, userId: string): string[] {
    return tx
      .select({ sha256: files.sha256 })
      .from(files)
      .where(eq(files.ownerId, userId))
      .all()
      .map((r) => r.sha256)
  }

  /** Removes the blobs no row uses any more. Run it after the commit that removed the rows. */
  sweep(shas: string[]): void {
    for (const sha of new Set(shas)) {
      const used = this.db.select({ n: count() }).from(files).where(eq(files.sha256, sha)).get()!.n
      if (used === 0) this.blobs.remove(sha)
    }
  }

  /**
   * Checks that the caller may attach these files to a message of the conversation (their own
   * files, or files of the conversation) and returns them as `attachments`.
   */
  attachmentsFor(p: Principal, conversationId: string, fileIds: string[]): FileAttachment[] {
    if (fileIds.length === 0) return []
    const rows = this.db.select().from(files).where(inArray(files.id, fileIds)).all()
    const byId = new Map(rows.map((r) => [r.id, r]))
    return fileIds.map((id) => {
      const r = byId.get(id)
      if (!r || (r.ownerId !== p.userId && r.conversationId !== conversationId)) throw new DomainError('FILE_NOT_FOUND', `File ${id} not found`)
      return { type: 'file' as const, file_id: r.id, name: r.filename, content_type: r.contentType, size: r.size }
    })
  }

  /**
   * Files to give a model: each must be readable by the caller (else FILE_NOT_FOUND). Text kinds
   * (TXT, CSV, JSON, XML) come with their first `maxBytes` as text; others by name, type and size.
   */
  async readForModel(p: Principal, fileIds: string[], maxBytes = 64 * 1024): Promise<(FileRecord & { text?: string })[]> {
    const out: (FileRecord & { text?: string })[] = []
    for (const id of fileIds) {
      const row = this.requireReadable(p, id)
      const view = fileRecord(row)
      const textual = row.contentType.startsWith('text/') || row.kind === 'data'
      if (!textual) {
        out.push(view)
        continue
      }
      const chunks: Buffer[] = []
      let size = 0
      const stream = this.blobs.open(row.sha256)
      for await (const chunk of stream) {
        const b = Buffer.from(chunk as Uint8Array)
        chunks.push(b)
        size += b.length
        if (size >= maxBytes) break
      }
      stream.destroy()
      const text = Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8')
      out.push({ ...view, text: size > maxBytes || row.size > maxBytes ? `${text}\n[…truncated]` : text })
    }
    return out
  }

  /** Drops the links of a (deleted) message to its files, in the message's transaction. */
  unlinkMessage(tx: Tx, messageId: string): void {
    tx.delete(messageFiles).where(eq(messageFiles.messageId, messageId)).run()
  }

  /** Links files to a message, in the message's transaction. */
  linkToMessage(tx: Tx, messageId: string, fileIds: string[]): void {
    if (fileIds.length === 0) return
    tx.insert(messageFiles)
      .values([...new Set(fileIds)].map((fileId) => ({ messageId, fileId })))
      .onConflictDoNothing()
      .run()
  }

  private requireConversation(p: Principal, conversationId: string): void {
    if (!this.access.canSee(p.userId, conversationId)) throw new DomainError('CONVERSATION_NOT_FOUND', 'Conversation not found')
  }

  /** The owner reads a file; so does anyone who may see its conversation or a conversation it is attached in. */
  private requireReadable(p: Principal, fileId: string): FileRow {
    const row = this.db.select().from(files).where(eq(files.id, fileId)).get()
    if (!row) throw new DomainError('FILE_NOT_FOUND', 'File not found')
    if (row.ownerId === p.userId) return row
    if (row.conversationId && this.access.canSee(p.userId, row.conversationId)) return row
    const attachedIn = this.db
      .selectDistinct({ conversationId: messages.conversationId })
      .from(messageFiles)
      .innerJoin(messages, eq(messageFiles.messageId, messages.id))
      .where(and(eq(messageFiles.fileId, fileId), sql`${messages.deletedAt} is null`))
      .all()
    if (attachedIn.some((c) => this.access.canSee(p.userId, c.conversationId))) return row
    throw new DomainError('FILE_NOT_FOUND', 'File not found')
  }
}

function tooLarge(kind: FileKind, limit: number): DomainError {
  return new DomainError('FILE_TOO_LARGE', `The file is larger than ${limit / MB} MB, the limit for ${kind === 'data' ? 'data files' : `${kind}s`}`)
}
