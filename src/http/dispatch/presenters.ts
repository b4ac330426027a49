import type { DispatchSessionRecord, DispatchWorkspace, DispatchWorkspaceDetail, Slice } from '../../domain/dispatch.js'

/** The dispatch wire shapes of domain records: a workspace's id is its path. */

export function presentWorkspace(w: DispatchWorkspace) {
  const { byStatus } = w.sessions
  return {
    id: w.path,
    name: w.name,
    path: w.path,
    status: w.status,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
    lastActive: w.lastActivityAt,
    sessionCounts: { total: w.sessions.total, running: byStatus.running, stopped: byStatus.stopped, error: byStatus.error }
  }
}

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0))

export function presentWorkspaceDetail(w: DispatchWorkspaceDetail) {
  const { byStatus } = w.sessions
  return {
    ...presentWorkspace(w),
    sessionCounts: { running: byStatus.running, stopped: byStatus.stopped, starting: byStatus.starting, error: byStatus.error },
    sessionStats: { total: w.sessions.total, byStatus: nonZero(byStatus), byType: nonZero(w.sessions.byType) },
    activeSessions: w.activeSessions.map((s) => ({ id: s.id, type: s.type, status: s.status, createdAt: s.created_at, lastActivity: s.last_activity_at }))
  }
}

export function presentSession(s: DispatchSessionRecord) {
  return {
    id: s.id,
    type: s.type,
    status: s.status,
    workspacePath: s.workspace_path,
    cols: s.cols,
    rows: s.rows,
    pid: s.pid,
    conversationId: s.conversation_id,
    exitCode: s.exit_code,
    error: s.error,
    createdAt: s.created_at,
    lastActivity: s.last_activity_at,
    endedAt: s.ended_at
  }
}

export function pagination(slice: Slice<unknown>) {
  return { total: slice.total, limit: slice.limit, offset: slice.offset, hasMore: slice.offset + slice.items.length < slice.total }
}
