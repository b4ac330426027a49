import { realpathSync } from 'node:fs'
import { posix } from 'node:path'
import { and, asc, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/index.js'
import { assistants, dispatchSessions, workspaceMembers, workspaces } from '../db/schema.js'
import type { AssistantService } from './assistants.js'
import type { ConversationService } from './conversations.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import type { DispatchSessionRecord } from './events.js'
import type { Principal } from './principal.js'
import { ensureSystemOwner, SYSTEM_OWNER_ID } from './system-owner.js'
import type { UnitOfWork, Work } from './unit-of-work.js'
import { checkDispatchPath } from './workspace-paths.js'
import type { WorkspaceService, WorkspaceStatus } from './workspaces.js'

export type { DispatchSessionRecord }
export type DispatchSessionType = DispatchSessionRecord['type']
export type DispatchSessionStatus = DispatchSessionRecord['status']

export const SESSION_TYPES: readonly DispatchSessionType[] = ['pty', 'claude']
export const SESSION_STATUSES: readonly DispatchSessionStatus[] = ['starting', 'running', 'stopped', 'error']
/** A session in one of these still holds (or is about to hold) a process. */
export const ACTIVE_STATUSES: readonly DispatchSessionStatus[] = ['starting', 'running']

/** How many sessions a workspace has, by status and by type. */
export interface SessionTally {
  total: number
  byStatus: Record<DispatchSessionStatus, number>
  byType: Record<DispatchSessionType, number>
}

/** A workspace as the dispatch surface sees it: a folder under the workspace root, with its sessions tallied. */
export interface DispatchWorkspace {
  path: string
  name: string
  status: WorkspaceStatus
  createdAt: string
  updatedAt: string
  lastActivityAt: string | null
  sessions: SessionTally
}

export interface DispatchWorkspaceDetail extends DispatchWorkspace {
  /** Its sessions that are starting or running, oldest first. */
  activeSessions: DispatchSessionRecord[]
}

/** A slice of a list, by offset. */
export interface Slice<T> {
  items: T[]
  total: number
  limit: number
  offset: number
}

export interface SliceQuery {
  limit?: number
  offset?: number
}

export interface BeginSessionInput {
  type: DispatchSessionType
  workspacePath: string
  cols: number
  rows: number
}

export interface DispatchServiceOptions {
  /** The folder every dispatch workspace lies under (`WORKSPACES_ROOT`). */
  root: string
  /** How many sessions may be starting or running at once. */
  maxActiveSessions: number
  realpath?: (path: string) => string
}

/** The assistant `claude` sessions talk to, made once and owned by the system owner. */
export const DISPATCH_ASSISTANT_NAME = 'Claude'

/** Where a `claude` session talks: its conversation, and who speaks in it (the workspace's owner). */
export interface SessionConversation {
  conversationId: string
  speaker: Principal
}

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 500

function emptyTally(): SessionTally {
  return { total: 0, byStatus: { starting: 0, running: 0, stopped: 0, error: 0 }, byType: { pty: 0, claude: 0 } }
}

const sessionColumns = {
  id: dispatchSessions.id,
  workspace_id: dispatchSessions.workspaceId,
  workspace_path: sql<string>`${workspaces.path}`,
  type: dispatchSessions.type,
  status: dispatchSessions.status,
  cols: dispatchSessions.cols,
  rows: dispatchSessions.rows,
  pid: dispatchSessions.pid,
  conversation_id: dispatchSessions.conversationId,
  exit_code: dispatchSessions.exitCode,
  error: dispatchSessions.error,
  created_at: dispatchSessions.createdAt,
  last_activity_at: dispatchSessions.lastActivityAt,
  ended_at: dispatchSessions.endedAt
}

/**
 * The rules of the dispatch surface: workspaces addressed by their folder under the workspace
 * root (the same workspaces every surface serves), and the sessions run in them. Which processes
 * run is the terminal manager's business; this records what they are and what became of them,
 * and says what may start, stop or be deleted.
 *
 * Dispatch callers hold a shared key, not an account: the workspaces they create belong to the
 * system owner (see system-owner.ts). A workspace made through another surface with a path under
 * the root is a dispatch workspace too, whoever owns it.
 */
export class DispatchService {
  readonly root: string
  readonly maxActiveSessions: number
  private readonly realpath: (path: string) => string

  constructor(
    private readonly db: Db,
    private readonly uow: UnitOfWork,
    private readonly workspaceService: Pick<WorkspaceService, 'data' | 'touch' | 'remove' | 'memberIds'>,
    private readonly talk: { conversations: Pick<ConversationService, 'create'>; assistants: Pick<AssistantService, 'create'> },
    options: DispatchServiceOptions
  ) {
    this.root = posix.normalize(options.root).replace(/(.)\/+$/, '$1')
    this.maxActiveSessions = options.maxActiveSessions
    this.realpath = options.realpath ?? realpathSync
  }

  /** Checks a workspace path against the root (see checkDispatchPath) and returns it. */
  checkPath(path: string): string {
    return checkDispatchPath(path, this.root, this.realpath)
  }

  // ---- workspaces -------------------------------------------------------------------------

  listWorkspaces(q: SliceQuery & { status?: WorkspaceStatus }): Slice<DispatchWorkspace> {
    const { limit, offset } = window(q)
    const where = and(this.underRoot(), q.status ? eq(workspaces.status, q.status) : undefined)
    const rows = this.db.select().from(workspaces).where(where).orderBy(asc(workspaces.path)).limit(limit).offset(offset).all()
    const total = this.db.select({ n: count() }).from(workspaces).where(where).get()!.n
    const tallies = this.tallies(
      this.db,
      rows.map((r) => r.id)
    )
    return { items: rows.map((r) => present(r, tallies.get(r.id))), total, limit, offset }
  }

  createWorkspace(input: { path: string; name: string }): DispatchWorkspace {
    const path = this.checkPath(input.path)
    const name = checkName(input.name)
    return this.uow.run((w) => {
      const { tx } = w
      if (this.rowAt(tx, path)) throw new DomainError('WORKSPACE_EXISTS', `Workspace already exists: ${path}`)
      const ownerId = ensureSystemOwner(tx)
      const now = nowIso()
      const id = newId()
      tx.insert(workspaces).values({ id, ownerId, name, path, status: 'new', createdAt: now, updatedAt: now }).run()
      tx.insert(workspaceMembers).values({ workspaceId: id, userId: ownerId, role: 'owner', createdAt: now }).run()
      w.emit({ type: 'workspace.created', workspace: this.workspaceService.data(tx, id), actorId: ownerId, audience: [ownerId] })
      return present(this.requireAt(tx, path), emptyTally())
    })
  }

  getWorkspace(path: string): DispatchWorkspaceDetail {
    const row = this.requireAt(this.db, path)
    const activeSessions = this.db
      .select(sessionColumns)
      .from(dispatchSessions)
      .innerJoin(workspaces, eq(workspaces.id, dispatchSessions.workspaceId))
      .where(and(eq(dispatchSessions.workspaceId, row.id), inArray(dispatchSessions.status, [...ACTIVE_STATUSES])))
      .orderBy(asc(dispatchSessions.createdAt), asc(dispatchSessions.id))
      .all()
    return { ...present(row, this.tallies(this.db, [row.id]).get(row.id)), activeSessions }
  }

  /** The workspace at a path, tallied; for those telling clients what changed. */
  workspaceAt(path: string): DispatchWorkspace {
    const row = this.requireAt(this.db, path)
    return present(row, this.tallies(this.db, [row.id]).get(row.id))
  }

  updateWorkspace(path: string, input: { name?: string; status?: WorkspaceStatus }): DispatchWorkspace {
    const name = input.name === undefined ? undefined : checkName(input.name)
    return this.uow.run((w) => {
      const { tx } = w
      const row = this.requireAt(tx, path)
      if (name !== undefined || input.status !== undefined) {
        tx.update(workspaces)
          .set({ ...(name !== undefined ? { name } : {}), ...(input.status ? { status: input.status } : {}), updatedAt: nowIso() })
          .where(eq(workspaces.id, row.id))
          .run()
        const workspace = this.workspaceService.data(tx, row.id)
        w.emit({ type: 'workspace.updated', workspace, actorId: row.ownerId, audience: this.workspaceService.memberIds(tx, row.id) })
      }
      return present(this.requireAt(tx, path), this.tallies(tx, [row.id]).get(row.id))
    })
  }

  /**
   * Deletes a workspace and its ended sessions (with its conversations, as every surface does);
   * refused while any of its sessions is starting or running. Answers how many sessions went.
   */
  deleteWorkspace(path: string): { deletedSessions: number } {
    return this.uow.run((w) => {
      const { tx } = w
      const row = this.requireAt(tx, path)
      const tally = this.tallies(tx, [row.id]).get(row.id) ?? emptyTally()
      const active = tally.byStatus.starting + tally.byStatus.running
      if (active > 0) throw new DomainError('WORKSPACE_HAS_RUNNING_SESSIONS', `Cannot delete workspace with ${active} active sessions`)
      const deleted = tx.delete(dispatchSessions).where(eq(dispatchSessions.workspaceId, row.id)).run().changes
      this.workspaceService.remove(w, row.id, row.ownerId)
      return { deletedSessions: deleted }
    })
  }

  // ---- sessions ---------------------------------------------------------------------------

  /**
   * Records a new session as `starting`, if its workspace exists and fewer than the cap of
   * sessions are active; the workspace becomes active. The caller then starts its process.
   */
  beginSession(input: BeginSessionInput): DispatchSessionRecord {
    const path = this.checkPath(input.workspacePath)
    return this.uow.run((w) => {
      const { tx } = w
      const workspace = this.requireAt(tx, path)
      const active = tx
        .select({ n: count() })
        .from(dispatchSessions)
        .where(inArray(dispatchSessions.status, [...ACTIVE_STATUSES]))
        .get()!.n
      if (active >= this.maxActiveSessions) {
        throw new DomainError('DISPATCH_SESSION_LIMIT', `Too many active sessions: at most ${this.maxActiveSessions} may run at once`)
      }
      const now = nowIso()
      const id = newId()
      tx.insert(dispatchSessions)
        .values({
          id,
          workspaceId: workspace.id,
          type: input.type,
          status: 'starting',
          cols: input.cols,
          rows: input.rows,
          createdAt: now,
          lastActivityAt: now
        })
        .run()
      this.workspaceService.touch(tx, workspace.id, now)
      return this.emitSession(w, 'dispatch_session.created', id)
    })
  }

  /** A starting session's process is up. Nothing changes if it was stopped meanwhile. */
  markRunning(id: string, started: { pid?: number; conversationId?: string }): DispatchSessionRecord {
    return this.uow.run((w) => {
      const res = w.tx
        .update(dispatchSessions)
        .set({ status: 'running', pid: started.pid ?? null, conversationId: started.conversationId ?? null })
        .where(and(eq(dispatchSessions.id, id), eq(dispatchSessions.status, 'starting')))
        .run()
      return res.changes ? this.emitSession(w, 'dispatch_session.updated', id) : this.requireSession(w.tx, id)
    })
  }

  /**
   * Ends an active session: `stopped` (stopped, or its process exited) or `error` (it could not
   * start or failed). An ended session stays as it was; the call is idempotent.
   */
  markEnded(id: string, end: { status: 'stopped' | 'error'; exitCode?: number | null; error?: string }): DispatchSessionRecord {
    return this.uow.run((w) => {
      const { tx } = w
      const now = nowIso()
      const res = tx
        .update(dispatchSessions)
        .set({ status: end.status, exitCode: end.exitCode ?? null, error: end.error ?? null, endedAt: now, lastActivityAt: now })
        .where(and(eq(dispatchSessions.id, id), inArray(dispatchSessions.status, [...ACTIVE_STATUSES])))
        .run()
      if (!res.changes) return this.requireSession(tx, id)
      const session = this.requireSession(tx, id)
      this.workspaceService.touch(tx, session.workspace_id, now)
      return this.emitSession(w, 'dispatch_session.ended', id)
    })
  }

  /** Records activity in a session (input, output) at `at`; its workspace's last activity follows. */
  recordActivity(id: string, at: string): DispatchSessionRecord {
    return this.uow.run((w) => {
      const { tx } = w
      const res = tx.update(dispatchSessions).set({ lastActivityAt: at }).where(eq(dispatchSessions.id, id)).run()
      if (!res.changes) throw sessionNotFound(id)
      this.workspaceService.touch(tx, this.requireSession(tx, id).workspace_id, at)
      return this.emitSession(w, 'dispatch_session.updated', id)
    })
  }

  /** Records a session's new terminal size. */
  resize(id: string, cols: number, rows: number): DispatchSessionRecord {
    return this.uow.run((w) => {
      const res = w.tx.update(dispatchSessions).set({ cols, rows }).where(eq(dispatchSessions.id, id)).run()
      if (!res.changes) throw sessionNotFound(id)
      return this.emitSession(w, 'dispatch_session.updated', id)
    })
  }

  getSession(id: string): DispatchSessionRecord {
    return this.requireSession(this.db, id)
  }

  /** Sessions, newest first, optionally of one workspace, status or type. */
  listSessions(q: SliceQuery & { workspacePath?: string; status?: DispatchSessionStatus; type?: DispatchSessionType }): Slice<DispatchSessionRecord> {
    const { limit, offset } = window(q)
    const conditions: (SQL | undefined)[] = [this.underRoot()]
    if (q.workspacePath !== undefined) conditions.push(eq(dispatchSessions.workspaceId, this.requireAt(this.db, q.workspacePath).id))
    if (q.status) conditions.push(eq(dispatchSessions.status, q.status))
    if (q.type) conditions.push(eq(dispatchSessions.type, q.type))
    const where = and(...conditions)
    const items = this.db
      .select(sessionColumns)
      .from(dispatchSessions)
      .innerJoin(workspaces, eq(workspaces.id, dispatchSessions.workspaceId))
      .where(where)
      .orderBy(desc(dispatchSessions.createdAt), desc(dispatchSessions.id))
      .limit(limit)
      .offset(offset)
      .all()
    const total = this.db
      .select({ n: count() })
      .from(dispatchSessions)
      .innerJoin(workspaces, eq(workspaces.id, dispatchSessions.workspaceId))
      .where(where)
      .get()!.n
    return { items, total, limit, offset }
  }

  /**
   * Opens the conversation of a `claude` session, in its workspace, with the dispatch assistant
   * (made on first use). The workspace's owner speaks in it: what is typed in the session is
   * their message; the assistant's replies are the session's output.
   */
  openConversation(sessionId: string): SessionConversation {
    return this.uow.run((w) => {
      const { tx } = w
      const session = this.requireSession(tx, sessionId)
      const owner = tx.select({ ownerId: workspaces.ownerId }).from(workspaces).where(eq(workspaces.id, session.workspace_id)).get()!
      const system: Principal = { userId: ensureSystemOwner(tx), role: 'user', via: 'api_key' }
      const assistantId =
        tx
          .select({ id: assistants.id })
          .from(assistants)
          .where(and(eq(assistants.ownerId, SYSTEM_OWNER_ID), eq(assistants.name, DISPATCH_ASSISTANT_NAME)))
          .get()?.id ??
        this.talk.assistants.create(system, {
          name: DISPATCH_ASSISTANT_NAME,
          description: 'The assistant of dispatch `claude` sessions',
          system_prompt: 'You are a coding assistant working in a project folder on a server. Answer concisely.'
        }).id
      const speaker: Principal = { userId: owner.ownerId, role: 'user', via: 'api_key' }
      const { detail } = this.talk.conversations.create(speaker, {
        assistant_id: assistantId,
        workspace_id: session.workspace_id,
        title: `Session ${session.id} in ${session.workspace_path}`,
        is_ai: true
      })
      return { conversationId: detail.id, speaker }
    })
  }

  /**
   * Sessions a stopped server left starting or running have no process any more: they are
   * marked stopped (at start, before any session begins). Returns how many.
   */
  endInterrupted(): number {
    const now = nowIso()
    return this.db
      .update(dispatchSessions)
      .set({ status: 'stopped', endedAt: now, error: 'The server stopped while the session ran' })
      .where(inArray(dispatchSessions.status, [...ACTIVE_STATUSES]))
      .run().changes
  }

  // ---- internals --------------------------------------------------------------------------

  /** Workspaces whose path lies strictly under the root, on whole segments. */
  private underRoot(): SQL {
    const prefix = this.root === '/' ? '/' : `${this.root}/`
    return sql`substr(${workspaces.path}, 1, ${prefix.length}) = ${prefix} and length(${workspaces.path}) > ${prefix.length}`
  }

  private rowAt(tx: Tx, path: string) {
    return tx
      .select()
      .from(workspaces)
      .where(and(eq(workspaces.path, path), this.underRoot()))
      .get()
  }

  private requireAt(tx: Tx, path: string) {
    const row = this.rowAt(tx, path)
    if (!row) throw new DomainError('WORKSPACE_NOT_FOUND', `Workspace not found: ${path}`)
    return row
  }

  private requireSession(tx: Tx, id: string): DispatchSessionRecord {
    const row = tx
      .select(sessionColumns)
      .from(dispatchSessions)
      .innerJoin(workspaces, eq(workspaces.id, dispatchSessions.workspaceId))
      .where(eq(dispatchSessions.id, id))
      .get()
    if (!row) throw sessionNotFound(id)
    return row
  }

  private emitSession(w: Work, type: 'dispatch_session.created' | 'dispatch_session.updated' | 'dispatch_session.ended', id: string): DispatchSessionRecord {
    const session = this.requireSession(w.tx, id)
    w.emit({ type, session, audience: this.workspaceService.memberIds(w.tx, session.workspace_id) })
    return session
  }

  private tallies(tx: Tx, workspaceIds: string[]): Map<string, SessionTally> {
    const out = new Map<string, SessionTally>()
    if (workspaceIds.length === 0) return out
    const rows = tx
      .select({ w: dispatchSessions.workspaceId, status: dispatchSessions.status, type: dispatchSessions.type, n: count() })
      .from(dispatchSessions)
      .where(inArray(dispatchSessions.workspaceId, workspaceIds))
      .groupBy(dispatchSessions.workspaceId, dispatchSessions.status, dispatchSessions.type)
      .all()
    for (const r of rows) {
      const tally = out.get(r.w) ?? emptyTally()
      tally.total += r.n
      tally.byStatus[r.status] += r.n
      tally.byType[r.type] += r.n
      out.set(r.w, tally)
    }
    return out
  }
}

function sessionNotFound(id: string): DomainError {
  return new DomainError('DISPATCH_SESSION_NOT_FOUND', `Session not found: ${id}`)
}

function checkName(name: string): string {
  const trimmed = name.trim()
  if (trimmed.length === 0 || trimmed.length > 100) {
    throw new DomainError('VALIDATION_ERROR', 'name must be 1 to 100 characters, not only spaces', [
      { field: 'body.name', message: 'must be 1 to 100 characters, not only spaces' }
    ])
  }
  return trimmed
}

function window(q: SliceQuery): { limit: number; offset: number } {
  return { limit: Math.min(MAX_LIMIT, Math.max(1, Math.floor(q.limit ?? DEFAULT_LIMIT))), offset: Math.max(0, Math.floor(q.offset ?? 0)) }
}

function present(row: typeof workspaces.$inferSelect, tally: SessionTally | undefined): DispatchWorkspace {
  return {
    path: row.path!,
    name: row.name,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastActivityAt: row.lastActivityAt,
    sessions: tally ?? emptyTally()
  }
}
