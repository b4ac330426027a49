import { and, asc, count, desc, eq, like, ne, notExists, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { conversationParticipants, conversations, users } from '../db/schema.js'
import { nowIso } from './clock.js'
import { DomainError } from './errors.js'
import { type Page, type PageQuery, pageWindow, parseSort, toPage } from './pagination.js'
import { assertStrongPassword, hashPassword, verifyPassword } from './passwords.js'
import { isAdmin, type Principal, requireAdmin } from './principal.js'
import type { UserRecord } from './events.js'
import { releaseConversations } from './access.js'
import { revokeUserSessions } from './revocation.js'
import type { FileService } from './files.js'
import { inTransaction, type UnitOfWork, type Work } from './unit-of-work.js'
import type { CredentialCache } from './credential-cache.js'

export type UserRow = typeof users.$inferSelect

export type { UserRecord }

export function userRecord(u: UserRow): UserRecord {
  return {
    id: u.id,
    email: u.email,
    full_name: u.fullName,
    role: u.role,
    is_active: u.isActive,
    created_at: u.createdAt,
    updated_at: u.updatedAt
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

export interface UpdateOwnProfile {
  full_name?: string | null
  email?: string
  password?: string
  current_password?: string
}

export interface AdminUpdateUser {
  full_name?: string | null
  email?: string
  password?: string
  role?: 'admin' | 'user'
  is_active?: boolean
}

export interface ListUsersQuery extends PageQuery {
  role?: 'admin' | 'user'
  q?: string
}

const SORTABLE = ['created_at', 'email', 'full_name'] as const
const SORT_COLUMNS = { created_at: users.createdAt, email: users.emailNormalized, full_name: users.fullName }

export class UserService {
  constructor(
    private readonly db: Db,
    private readonly uow: UnitOfWork,
    private readonly files: Pick<FileService, 'releaseConversation' | 'sweep' | 'blobsOwnedBy'>,
    /** Users read by id are kept here (it drops them when they change). */
    private readonly cache?: CredentialCache
  ) {
    this.byId = db
      .select()
      .from(users)
      .where(eq(users.id, sql.placeholder('id')))
      .prepare()
  }

  /** Read on every authenticated request: prepared once. */
  private readonly byId

  findById(id: string): Readonly<UserRow> | undefined {
    const cached = this.cache?.users.get(id)
    if (cached) return cached
    const row = this.byId.get({ id })
    if (row && this.cache && !inTransaction(this.db)) this.cache.users.set(id, Object.freeze(row))
    return row
  }

  findByEmail(email: string): UserRow | undefined {
    return this.db
      .select()
      .from(users)
      .where(eq(users.emailNormalized, normalizeEmail(email)))
      .get()
  }

  require(id: string): Readonly<UserRow> {
    const u = this.findById(id)
    if (!u) throw new DomainError('USER_NOT_FOUND', 'User not found')
    return u
  }

  me(p: Principal): UserRecord {
    return userRecord(this.require(p.userId))
  }

  get(p: Principal, userId: string): UserRecord {
    if (!isAdmin(p) && p.userId !== userId) throw new DomainError('ADMIN_REQUIRED', 'Admin privileges required')
    return userRecord(this.require(userId))
  }

  /**
   * Everyone a signed-in user can start a conversation with: the active accounts, oldest first.
   * Any signed-in user may read it; it carries what a profile shows, never a password hash.
   */
  directory(_p: Principal): UserRecord[] {
    return this.db.select().from(users).where(eq(users.isActive, true)).orderBy(asc(users.createdAt), asc(users.id)).all().map(userRecord)
  }

  /** Any user's profile, for any signed-in user (whom to talk to); USER_NOT_FOUND for an unknown id. */
  profile(_p: Principal, userId: string): UserRecord {
    return userRecord(this.require(userId))
  }

  list(p: Principal, q: ListUsersQuery): Page<UserRecord> {
    requireAdmin(p)
    const w = pageWindow(q)
    const sort = parseSort(q.sort, SORTABLE, { field: 'created_at', direction: 'asc' })
    const filters: SQL[] = []
    if (q.role) filters.push(eq(users.role, q.role))
    if (q.q) {
      const needle = `%${q.q.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`
      filters.push(or(like(users.emailNormalized, needle), like(users.fullName, needle))!)
    }
    const where = filters.length ? and(...filters) : undefined
    const order = sort.direction === 'asc' ? asc(SORT_COLUMNS[sort.field]) : desc(SORT_COLUMNS[sort.field])
    const rows = this.db.select().from(users).where(where).orderBy(order, asc(users.id)).limit(w.size).offset(w.offset).all()
    const total = this.db.select({ n: count() }).from(users).where(where).get()!.n
    return toPage(rows.map(userRecord), total, w)
  }

  /**
   * Updates the caller's profile. A new password needs the current one, must be strong, and ends
   * every other session of the user (the caller's own goes on).
   */
  async updateMe(p: Principal, input: UpdateOwnProfile): Promise<UserRecord> {
    const user = this.require(p.userId)
    const patch: Partial<UserRow> = {}
    if (input.password !== undefined) {
      if (!input.current_password || !user.passwordHash || !(await verifyPassword(user.passwordHash, input.current_password))) {
        throw new DomainError('INVALID_CREDENTIALS', 'current_password is missing or wrong', [
          { field: 'current_password', message: 'must be the current password to set a new one' }
        ])
      }
      assertStrongPassword(input.password, 'body.password', [input.email ?? user.email, input.full_name ?? user.fullName])
      patch.passwordHash = await hashPassword(input.password)
    }
    if (input.full_name !== undefined) patch.fullName = input.full_name
    if (input.email !== undefined) Object.assign(patch, this.emailPatch(user.id, input.email))
    return this.apply(user, patch, (w) => {
      if (patch.passwordHash) revokeUserSessions(w, user.id, 'password_changed', { exceptSessionId: p.sessionId, apiKeys: false })
    })
  }

  async adminUpdate(p: Principal, userId: string, input: AdminUpdateUser): Promise<UserRecord> {
    requireAdmin(p)
    const user = this.require(userId)
    const patch: Partial<UserRow> = {}
    if (input.full_name !== undefined) patch.fullName = input.full_name
    if (input.email !== undefined) Object.assign(patch, this.emailPatch(user.id, input.email))
    if (input.password !== undefined) {
      assertStrongPassword(input.password, 'body.password', [input.email ?? user.email, input.full_name ?? user.fullName])
      patch.passwordHash = await hashPassword(input.password)
    }
    if (input.role !== undefined) patch.role = input.role
    if (input.is_active !== undefined) patch.isActive = input.is_active
    const losesAdmin = user.role === 'admin' && (patch.role === 'user' || patch.isActive === false)
    if (losesAdmin) this.guardLastAdmin(user.id)
    // Disabling ends every session and closes every socket, API keys' too; a new password set by
    // an admin ends the user's sessions (their API keys go on).
    return this.apply(user, patch, (w) => {
      if (patch.isActive === false && user.isActive) revokeUserSessions(w, user.id, 'disabled', { apiKeys: true })
      else if (patch.passwordHash) revokeUserSessions(w, user.id, 'password_changed', { apiKeys: false })
    })
  }

  delete(p: Principal, userId: string): void {
    requireAdmin(p)
    const user = this.require(userId)
    if (user.role === 'admin') this.guardLastAdmin(user.id)
    // The conversations that were theirs alone (no other person took part) and the files they own
    // go with them: release the files and tell the conversations' watchers. Conversations other
    // people took part in stay, with no creator (the database sets it null) and the deleted
    // user's messages kept, their sender null: the others' history reads as it did.
    this.uow.run((w) => {
      const others = w.tx
        .select({ id: conversationParticipants.conversationId })
        .from(conversationParticipants)
        .where(and(eq(conversationParticipants.conversationId, conversations.id), ne(conversationParticipants.userId, userId)))
      const convs = w.tx
        .select({ id: conversations.id, workspaceId: conversations.workspaceId })
        .from(conversations)
        .where(and(eq(conversations.creatorId, userId), notExists(others)))
        .all()
      releaseConversations(w, this.files, convs, p.userId)
      const owned = this.files.blobsOwnedBy(w.tx, userId)
      revokeUserSessions(w, userId, 'deleted', { apiKeys: true })
      w.tx.delete(users).where(eq(users.id, userId)).run()
      if (owned.length) w.afterCommit(() => this.files.sweep(owned))
    })
  }

  private guardLastAdmin(userId: string): void {
    const others = this.db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.isActive, true), ne(users.id, userId)))
      .get()!.n
    if (others === 0) throw new DomainError('LAST_ADMIN', 'The last active admin cannot be demoted, disabled or deleted')
  }

  private emailPatch(userId: string, email: string): Partial<UserRow> {
    const normalized = normalizeEmail(email)
    const other = this.findByEmail(normalized)
    if (other && other.id !== userId) throw new DomainError('EMAIL_TAKEN', 'A user with this email already exists')
    return { email: email.trim(), emailNormalized: normalized }
  }

  /** Writes a patch and emits `user.updated`; `also` adds to the same unit of work. */
  private apply(user: Readonly<UserRow>, patch: Partial<UserRow>, also?: (w: Work) => void): UserRecord {
    if (Object.keys(patch).length === 0) return userRecord(user)
    return this.uow.run((w) => {
      also?.(w)
      const updated = w.tx
        .update(users)
        .set({ ...patch, updatedAt: nowIso() })
        .where(eq(users.id, user.id))
        .returning()
        .get()
      const view = userRecord(updated)
      w.emit({ type: 'user.updated', userId: updated.id, user: view })
      return view
    })
  }
}
