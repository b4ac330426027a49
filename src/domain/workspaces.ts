import { posix } from 'node:path'
import { and, asc, count, desc, eq, inArray, ne, sql, type SQL } from 'drizzle-orm'
import type { Db, Tx } from '../db/index.js'
import { prepared } from '../db/prepared.js'
import { assistants, conversations, dispatchSessions, users, workspaceAgents, workspaceMembers, workspaces } from '../db/schema.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import type { WorkspaceRecord } from './events.js'
import { type Page, type PageQuery, pageWindow, parseSort, toPage } from './pagination.js'
import type { Principal } from './principal.js'
import { normalizeEmail } from './users.js'
import { type AccessOptions, canSeeAssistant, canShareAssistant, releaseConversations, type WorkspaceRole } from './access.js'
import type { FileService } from './files.js'
import type { UnitOfWork, Work } from './unit-of-work.js'

export type { WorkspaceRole }

export type WorkspaceStatus = 'new' | 'active' | 'archived'
/** The roles a member can be given; `owner` belongs to the workspace's creator alone. */
export type AssignableRole = Exclude<WorkspaceRole, 'owner'>

export type WorkspaceRow = typeof workspaces.$inferSelect

/** A workspace as one caller sees it: with the caller's role in it. */
export interface CallerWorkspaceRecord extends WorkspaceRecord {
  role: WorkspaceRole
}

export interface WorkspaceMemberRecord {
  user_id: string
  email: string
  full_name: string | null
  role: WorkspaceRole
  joined_at: string
}

export interface WorkspaceAgentRecord {
  assistant_id: string
  name: string
  description: string | null
  status: 'active' | 'inactive' | 'draft'
  attached_at: string
}

export interface CreateWorkspaceInput {
  name: string
  path?: string | null
}

export interface UpdateWorkspaceInput {
  name?: string
  status?: WorkspaceStatus
  path?: string | null
}

export interface ListWorkspacesQuery extends PageQuery {
  status?: WorkspaceStatus
}

export interface AddMemberInput {
  user_id?: string
  email?: string
  role: AssignableRole
}

const SORTABLE = ['created_at', 'name', 'updated_at', 'last_activity_at'] as const
const SORT_COLUMNS = {
  created_at: workspaces.createdAt,
  name: sql`lower(${workspaces.name})`,
  updated_at: workspaces.updatedAt,
  last_activity_at: workspaces.lastActivityAt
}
const MEMBER_SORTABLE = ['joined_at', 'email'] as const
const MEMBER_SORT_COLUMNS = { joined_at: workspaceMembers.createdAt, email: users.emailNormalized }
const AGENT_SORTABLE = ['attached_at', 'name'] as const
const AGENT_SORT_COLUMNS = { attached_at: workspaceAgents.createdAt, name: sql`lower(${assistants.name})` }

const MANAGERS: readonly WorkspaceRole[] = ['owner', 'admin']
export const MAX_PATH_LENGTH = 1024

const notFound = () => new DomainError('WORKSPACE_NOT_FOUND', 'Workspace not found')

function invalid(field: string, message: string): DomainError {
  return new DomainError('VALIDATION_ERROR', `${field} ${message}`, [{ field: `body.${field}`, message }])
}

/**
 * Checks a workspace path: absolute, already normalized (no `.` or `..` segments, no doubled or
 * trailing slash), not the root itself, no backslashes or control characters. Returns it unchanged.
 */
export function checkWorkspacePath(path: string): string {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) throw invalid('path', `must be 1 to ${MAX_PATH_LENGTH} characters`)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f\\]/.test(path)) throw invalid('path', 'must not contain control characters or backslashes')
  if (!path.startsWith('/')) throw invalid('path', 'must be an absolute path (start with /)')
  if (path === '/') throw invalid('path', 'must not be the root directory')
  const segments = path.split('/').slice(1)
  if (segments.some((s) => s === '..')) throw invalid('path', 'must not contain .. segments')
  if (segments.some((s) => s === '.' || s === '') || posix.normalize(path) !== path) {
    const normalized = posix.normalize(path).replace(/\/+$/, '') || '/'
    throw invalid('path', `must be normalized (no ., empty segments or trailing slash), e.g. ${normalized}`)
  }
  return path
}

function checkName(name: string): string {
  const trimmed = name.trim()
  if (trimmed.length === 0 || trimmed.length > 100) throw invalid('name', 'must be 1 to 100 characters, not only spaces')
  return trimmed
}

/**
 * Workspaces, their members and the assistants ("agents") attached to them.
 *
 * Access: only members see a workspace (anyone else gets WORKSPACE_NOT_FOUND, never the data);
 * every member reads; owner and admins change it, its members and its agents; only the owner
 * deletes it. Global admins have no special powers here.
 */
/** Every message in a workspace's conversation touches it: prepared once per connection. */
const touchWorkspace = (db: Tx) =>
  db
    .update(workspaces)
    .set({ lastActivityAt: sql`${sql.placeholder('at')}`, status: sql`case when ${workspaces.status} = 'new' then 'active' else ${workspaces.status} end` })
    .where(eq(workspaces.id, sql.placeholder('id')))
    .prepare()

export class WorkspaceService {
  constructor(
    private readonly db: Db,
    private readonly uow: UnitOfWork,
    private readonly files: Pick<FileService, 'releaseConversation' | 'sweep'>
  ) {}

  // ---- access, for this and other services -------------------------------------------------

  /** The user's role in the workspace, or undefined when they are not a member (or it does not exist). */
  membership(workspaceId: string, userId: string, tx: Tx = this.db): WorkspaceRole | undefined {
    return tx
      .select({ role: workspaceMembers.role })
      .from(workspaceMembers)
      .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
      .get()?.role
  }

  /**
   * The user's role, checked for what they want to do: `read` needs any membership (else 404),
   * `manage` needs owner or admin (else 403 WORKSPACE_ADMIN_REQUIRED).
   */
  requireRole(tx: Tx, workspaceId: string, userId: string, need: 'read' | 'manage', options: AccessOptions = {}): WorkspaceRole {
    const role = this.membership(workspaceId, userId, tx)
    if (!role) {
      if (options.disclose && tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, workspaceId)).get()) {
        throw new DomainError('WORKSPACE_ACCESS_DENIED', 'The user is not a member of this workspace')
      }
      throw notFound()
    }
    if (need === 'manage' && !MANAGERS.includes(role)) {
      throw new DomainError('WORKSPACE_ADMIN_REQUIRED', 'Only the owner or an admin of this workspace can do this')
    }
    return role
  }

  /**
   * Records activity in a workspace (a message, a conversation) inside the caller's transaction:
   * sets `last_activity_at`, and a `new` workspace becomes `active`.
   */
  touch(tx: Tx, workspaceId: string, at: string = nowIso()): void {
    prepared(tx, touchWorkspace).run({ id: workspaceId, at })
  }

  // ---- workspaces -------------------------------------------------------------------------

  /** Creates a workspace; the caller becomes its owner (and a member with role `owner`). */
  create(p: Principal, input: CreateWorkspaceInput): CallerWorkspaceRecord {
    const name = checkName(input.name)
    const path = input.path == null ? null : checkWorkspacePath(input.path)
    const now = nowIso()
    const workspace = this.uow.run((w) => {
      const { tx } = w
      if (path !== null) this.guardPath(tx, path)
      const id = newId()
      tx.insert(workspaces).values({ id, ownerId: p.userId, name, path, status: 'new', createdAt: now, updatedAt: now }).run()
      tx.insert(workspaceMembers).values({ workspaceId: id, userId: p.userId, role: 'owner', createdAt: now }).run()
      const data = this.data(tx, id)
      w.emit({ type: 'workspace.created', workspace: data, actorId: p.userId, audience: [p.userId] })
      return data
    })
    return { ...workspace, role: 'owner' }
  }

  /** The workspaces the caller owns or is a member of. */
  list(p: Principal, q: ListWorkspacesQuery): Page<CallerWorkspaceRecord> {
    const w = pageWindow(q)
    const sort = parseSort(q.sort, SORTABLE, { field: 'created_at', direction: 'desc' })
    const joined = and(eq(workspaceMembers.workspaceId, workspaces.id), eq(workspaceMembers.userId, p.userId))
    const where: SQL | undefined = q.status ? eq(workspaces.status, q.status) : undefined
    const column = SORT_COLUMNS[sort.field]
    const order = sort.direction === 'asc' ? asc(column) : desc(column)
    const rows = this.db
      .select({ w: workspaces, role: workspaceMembers.role })
      .from(workspaces)
      .innerJoin(workspaceMembers, joined)
      .where(where)
      .orderBy(order, sort.direction === 'asc' ? asc(workspaces.id) : desc(workspaces.id))
      .limit(w.size)
      .offset(w.offset)
      .all()
    const total = this.db.select({ n: count() }).from(workspaces).innerJoin(workspaceMembers, joined).where(where).get()!.n
    const data = this.dataOf(
      this.db,
      rows.map((r) => r.w)
    )
    return toPage(
      rows.map((r, i) => ({ ...data[i]!, role: r.role })),
      total,
      w
    )
  }

  /** Every workspace the caller owns or is a member of, oldest first (for APIs without pages). */
  all(p: Principal): CallerWorkspaceRecord[] {
    const rows = this.db
      .select({ w: workspaces, role: workspaceMembers.role })
      .from(workspaces)
      .innerJoin(workspaceMembers, and(eq(workspaceMembers.workspaceId, workspaces.id), eq(workspaceMembers.userId, p.userId)))
      .orderBy(asc(workspaces.createdAt), asc(workspaces.id))
      .all()
    const data = this.dataOf(
      this.db,
      rows.map((r) => r.w)
    )
    return rows.map((r, i) => ({ ...data[i]!, role: r.role }))
  }

  get(p: Principal, workspaceId: string, options: AccessOptions = {}): CallerWorkspaceRecord {
    const role = this.requireRole(this.db, workspaceId, p.userId, 'read', options)
    return { ...this.data(this.db, workspaceId), role }
  }

  /** Changes name, status or path (owner or admin). An empty change returns the workspace as it is. */
  update(p: Principal, workspaceId: string, input: UpdateWorkspaceInput, options: AccessOptions = {}): CallerWorkspaceRecord {
    const patch: Partial<WorkspaceRow> = {}
    if (input.name !== undefined) patch.name = checkName(input.name)
    if (input.status !== undefined) patch.status = input.status
    if (input.path !== undefined) patch.path = input.path === null ? null : checkWorkspacePath(input.path)
    return this.uow.run((w) => {
      const { tx } = w
      const role = this.requireRole(tx, workspaceId, p.userId, 'manage', options)
      if (Object.keys(patch).length === 0) return { ...this.data(tx, workspaceId), role }
      if (patch.path) this.guardPath(tx, patch.path, workspaceId)
      tx.update(workspaces)
        .set({ ...patch, updatedAt: nowIso() })
        .where(eq(workspaces.id, workspaceId))
        .run()
      return { ...this.changed(w, workspaceId, p.userId), role }
    })
  }

  /**
   * Deletes a workspace with its memberships, agent links and conversations. Only its owner may,
   * and not while a dispatch session runs in it (WORKSPACE_HAS_RUNNING_SESSIONS).
   */
  delete(p: Principal, workspaceId: string, options: AccessOptions = {}): void {
    this.uow.run((w) => {
      const { tx } = w
      const role = this.requireRole(tx, workspaceId, p.userId, 'read', options)
      if (role !== 'owner') throw new DomainError('NOT_WORKSPACE_OWNER', 'Only the owner of this workspace can delete it')
      this.remove(w, workspaceId, p.userId)
    })
  }

  /**
   * Deletes a workspace in the caller's unit of work, with everything that goes with it; the
   * caller has decided it may. Its conversations go with it: their files are released and their
   * watchers told.
   */
  remove(w: Work, workspaceId: string, actorId: string): void {
    const { tx } = w
    // A running shell or assistant session would outlive its record: stop it first.
    const active = tx
      .select({ n: count() })
      .from(dispatchSessions)
      .where(and(eq(dispatchSessions.workspaceId, workspaceId), inArray(dispatchSessions.status, ['starting', 'running'])))
      .get()!.n
    if (active > 0) throw new DomainError('WORKSPACE_HAS_RUNNING_SESSIONS', `Cannot delete workspace with ${active} active sessions`)
    const audience = this.memberIds(tx, workspaceId)
    const convs = tx
      .select({ id: conversations.id, workspaceId: conversations.workspaceId })
      .from(conversations)
      .where(eq(conversations.workspaceId, workspaceId))
      .all()
    releaseConversations(w, this.files, convs, actorId)
    tx.delete(workspaces).where(eq(workspaces.id, workspaceId)).run()
    w.emit({ type: 'workspace.deleted', workspaceId, actorId, audience })
  }

  // ---- members ----------------------------------------------------------------------------

  listMembers(p: Principal, workspaceId: string, q: PageQuery): Page<WorkspaceMemberRecord> {
    const w = pageWindow(q)
    const sort = parseSort(q.sort, MEMBER_SORTABLE, { field: 'joined_at', direction: 'asc' })
    this.requireRole(this.db, workspaceId, p.userId, 'read')
    const where = eq(workspaceMembers.workspaceId, workspaceId)
    const column = MEMBER_SORT_COLUMNS[sort.field]
    const rows = this.db
      .select(this.memberColumns())
      .from(workspaceMembers)
      .innerJoin(users, eq(users.id, workspaceMembers.userId))
      .where(where)
      .orderBy(sort.direction === 'asc' ? asc(column) : desc(column), asc(workspaceMembers.userId))
      .limit(w.size)
      .offset(w.offset)
      .all()
    const total = this.db.select({ n: count() }).from(workspaceMembers).where(where).get()!.n
    return toPage(rows, total, w)
  }

  /** Adds a user (by `user_id` or `email`) with a role other than owner (owner or admin). */
  addMember(p: Principal, workspaceId: string, input: AddMemberInput): WorkspaceMemberRecord {
    if ((input.user_id === undefined) === (input.email === undefined)) {
      throw new DomainError('VALIDATION_ERROR', 'Give exactly one of user_id or email', [
        { field: 'body.user_id', message: 'give exactly one of user_id or email' }
      ])
    }
    return this.uow.run((w) => {
      const { tx } = w
      this.requireRole(tx, workspaceId, p.userId, 'manage')
      const user = input.user_id
        ? tx.select({ id: users.id }).from(users).where(eq(users.id, input.user_id)).get()
        : tx
            .select({ id: users.id })
            .from(users)
            .where(eq(users.emailNormalized, normalizeEmail(input.email!)))
            .get()
      if (!user) throw new DomainError('USER_NOT_FOUND', 'User not found')
      if (this.membership(workspaceId, user.id, tx)) {
        throw new DomainError('WORKSPACE_MEMBER_EXISTS', 'The user is already a member; change their role with PUT .../members/{user_id}')
      }
      tx.insert(workspaceMembers).values({ workspaceId, userId: user.id, role: input.role, createdAt: nowIso() }).run()
      this.memberChanged(w, workspaceId, user.id, input.role, p.userId)
      return this.member(tx, workspaceId, user.id)!
    })
  }

  /** Changes a member's role (owner or admin). The owner's membership cannot be changed. */
  updateMember(p: Principal, workspaceId: string, userId: string, role: AssignableRole): WorkspaceMemberRecord {
    return this.uow.run((w) => {
      const { tx } = w
      this.requireRole(tx, workspaceId, p.userId, 'manage')
      const current = this.membership(workspaceId, userId, tx)
      if (!current) throw new DomainError('WORKSPACE_MEMBER_NOT_FOUND', 'The user is not a member of this workspace')
      if (current === 'owner') throw new DomainError('WORKSPACE_OWNER_LOCKED', "The owner's role cannot be changed")
      if (current === role) return this.member(tx, workspaceId, userId)!
      tx.update(workspaceMembers)
        .set({ role })
        .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
        .run()
      this.memberChanged(w, workspaceId, userId, role, p.userId)
      return this.member(tx, workspaceId, userId)!
    })
  }

  /**
   * Removes a member (owner or admin), or lets a member leave (anyone removing themself).
   * The owner cannot be removed.
   */
  removeMember(p: Principal, workspaceId: string, userId: string): void {
    this.uow.run((w) => {
      const { tx } = w
      this.requireRole(tx, workspaceId, p.userId, userId === p.userId ? 'read' : 'manage')
      const current = this.membership(workspaceId, userId, tx)
      if (!current) throw new DomainError('WORKSPACE_MEMBER_NOT_FOUND', 'The user is not a member of this workspace')
      if (current === 'owner') throw new DomainError('WORKSPACE_OWNER_LOCKED', 'The owner cannot be removed from the workspace')
      const audience = this.memberIds(tx, workspaceId)
      tx.delete(workspaceMembers)
        .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
        .run()
      this.memberChanged(w, workspaceId, userId, null, p.userId, audience)
    })
  }

  // ---- agents -----------------------------------------------------------------------------

  listAgents(p: Principal, workspaceId: string, q: PageQuery): Page<WorkspaceAgentRecord> {
    const w = pageWindow(q)
    const sort = parseSort(q.sort, AGENT_SORTABLE, { field: 'attached_at', direction: 'asc' })
    this.requireRole(this.db, workspaceId, p.userId, 'read')
    const where = eq(workspaceAgents.workspaceId, workspaceId)
    const column = AGENT_SORT_COLUMNS[sort.field]
    const rows = this.db
      .select(this.agentColumns())
      .from(workspaceAgents)
      .innerJoin(assistants, eq(assistants.id, workspaceAgents.assistantId))
      .where(where)
      .orderBy(sort.direction === 'asc' ? asc(column) : desc(column), asc(workspaceAgents.assistantId))
      .limit(w.size)
      .offset(w.offset)
      .all()
    const total = this.db.select({ n: count() }).from(workspaceAgents).where(where).get()!.n
    return toPage(rows, total, w)
  }

  /**
   * Attaches an assistant (owner or admin). Idempotent: attaching one already attached changes
   * nothing and returns the existing link with `created: false`.
   */
  attachAgent(p: Principal, workspaceId: string, assistantId: string, options: AccessOptions = {}): { agent: WorkspaceAgentRecord; created: boolean } {
    return this.uow.run((w) => {
      const { tx } = w
      this.requireRole(tx, workspaceId, p.userId, 'manage', options)
      const assistant = tx
        .select({ id: assistants.id, status: assistants.status, ownerId: assistants.ownerId, visibility: assistants.visibility })
        .from(assistants)
        .where(eq(assistants.id, assistantId))
        .get()
      // An assistant one may not see cannot be attached (its name would then show in the agents list);
      // one seen only through another workspace cannot be shared further.
      if (!assistant || !canSeeAssistant(tx, p, assistant)) throw new DomainError('ASSISTANT_NOT_FOUND', 'Assistant not found')
      if (!canShareAssistant(p, assistant)) {
        throw new DomainError('NOT_ASSISTANT_OWNER', 'Only the owner of this assistant or an admin may attach it to a workspace, unless it is public')
      }
      const inserted = tx.insert(workspaceAgents).values({ workspaceId, assistantId, createdAt: nowIso() }).onConflictDoNothing().run()
      const created = inserted.changes > 0
      if (created) {
        tx.update(workspaces).set({ updatedAt: nowIso() }).where(eq(workspaces.id, workspaceId)).run()
        this.changed(w, workspaceId, p.userId)
      }
      return { agent: this.agent(tx, workspaceId, assistantId)!, created }
    })
  }

  /** Detaches an assistant (owner or admin); WORKSPACE_AGENT_NOT_FOUND when it is not attached. */
  detachAgent(p: Principal, workspaceId: string, assistantId: string, options: AccessOptions = {}): void {
    this.uow.run((w) => {
      const { tx } = w
      this.requireRole(tx, workspaceId, p.userId, 'manage', options)
      const res = tx
        .delete(workspaceAgents)
        .where(and(eq(workspaceAgents.workspaceId, workspaceId), eq(workspaceAgents.assistantId, assistantId)))
        .run()
      if (res.changes === 0) throw new DomainError('WORKSPACE_AGENT_NOT_FOUND', 'The assistant is not attached to this workspace')
      tx.update(workspaces).set({ updatedAt: nowIso() }).where(eq(workspaces.id, workspaceId)).run()
      this.changed(w, workspaceId, p.userId)
    })
  }

  // ---- internals --------------------------------------------------------------------------

  /** A workspace's data (without a caller's role); the caller has checked access. */
  data(tx: Tx, workspaceId: string): WorkspaceRecord {
    const row = tx.select().from(workspaces).where(eq(workspaces.id, workspaceId)).get()
    if (!row) throw notFound()
    return this.dataOf(tx, [row])[0]!
  }

  /** Data of many workspaces with their agents and member counts, in three queries. */
  private dataOf(tx: Tx, rows: WorkspaceRow[]): WorkspaceRecord[] {
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const agents = new Map<string, string[]>()
    for (const a of tx
      .select({ w: workspaceAgents.workspaceId, a: workspaceAgents.assistantId })
      .from(workspaceAgents)
      .where(inArray(workspaceAgents.workspaceId, ids))
      .orderBy(asc(workspaceAgents.createdAt), asc(workspaceAgents.assistantId))
      .all()) {
      const list = agents.get(a.w) ?? []
      list.push(a.a)
      agents.set(a.w, list)
    }
    const counts = new Map(
      tx
        .select({ w: workspaceMembers.workspaceId, n: count() })
        .from(workspaceMembers)
        .where(inArray(workspaceMembers.workspaceId, ids))
        .groupBy(workspaceMembers.workspaceId)
        .all()
        .map((c) => [c.w, c.n])
    )
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      path: r.path,
      status: r.status,
      owner_id: r.ownerId,
      agents: agents.get(r.id) ?? [],
      member_count: counts.get(r.id) ?? 0,
      last_activity_at: r.lastActivityAt,
      created_at: r.createdAt,
      updated_at: r.updatedAt
    }))
  }

  private guardPath(tx: Tx, path: string, exceptId?: string): void {
    const where = exceptId ? and(eq(workspaces.path, path), ne(workspaces.id, exceptId)) : eq(workspaces.path, path)
    if (tx.select({ id: workspaces.id }).from(workspaces).where(where).get()) {
      throw new DomainError('WORKSPACE_PATH_TAKEN', 'Another workspace already uses this path')
    }
  }

  /** The ids of a workspace's members: the audience of its events. */
  memberIds(tx: Tx, workspaceId: string): string[] {
    return tx
      .select({ id: workspaceMembers.userId })
      .from(workspaceMembers)
      .where(eq(workspaceMembers.workspaceId, workspaceId))
      .all()
      .map((r) => r.id)
  }

  private memberColumns() {
    return {
      user_id: workspaceMembers.userId,
      email: users.email,
      full_name: users.fullName,
      role: workspaceMembers.role,
      joined_at: workspaceMembers.createdAt
    }
  }

  private member(tx: Tx, workspaceId: string, userId: string): WorkspaceMemberRecord | undefined {
    return tx
      .select(this.memberColumns())
      .from(workspaceMembers)
      .innerJoin(users, eq(users.id, workspaceMembers.userId))
      .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
      .get()
  }

  private agentColumns() {
    return {
      assistant_id: workspaceAgents.assistantId,
      name: assistants.name,
      description: assistants.description,
      status: assistants.status,
      attached_at: workspaceAgents.createdAt
    }
  }

  private agent(tx: Tx, workspaceId: string, assistantId: string): WorkspaceAgentRecord | undefined {
    return tx
      .select(this.agentColumns())
      .from(workspaceAgents)
      .innerJoin(assistants, eq(assistants.id, workspaceAgents.assistantId))
      .where(and(eq(workspaceAgents.workspaceId, workspaceId), eq(workspaceAgents.assistantId, assistantId)))
      .get()
  }

  /** Emits `workspace.updated` in the unit; returns the workspace's data as the event carries it. */
  private changed(w: Work, workspaceId: string, actorId: string): WorkspaceRecord {
    const workspace = this.data(w.tx, workspaceId)
    w.emit({ type: 'workspace.updated', workspace, actorId, audience: this.memberIds(w.tx, workspaceId) })
    return workspace
  }

  /** Emits `workspace.member_changed` in the unit (`role` null: removed). */
  private memberChanged(
    w: Work,
    workspaceId: string,
    userId: string,
    role: WorkspaceRole | null,
    actorId: string,
    audience: string[] = this.memberIds(w.tx, workspaceId)
  ): void {
    w.emit({ type: 'workspace.member_changed', workspaceId, userId, role, actorId, audience })
  }
}
