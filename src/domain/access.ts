import { and, eq } from 'drizzle-orm'
import type { Tx } from '../db/index.js'
import { conversationParticipants, conversations, workspaceMembers } from '../db/schema.js'
import { DomainError } from './errors.js'
import type { Work } from './unit-of-work.js'

export type ConversationRow = typeof conversations.$inferSelect

/** A member's role in a workspace. */
export type WorkspaceRole = 'owner' | 'admin' | 'member' | 'viewer'

/**
 * How a refusal is told. By default a conversation or workspace the caller may not see is "not
 * found", so its existence is not disclosed. With `disclose`, one that exists but is not the
 * caller's answers CONVERSATION_ACCESS_DENIED / WORKSPACE_ACCESS_DENIED instead: for APIs whose
 * clients are told the two apart.
 */
export interface AccessOptions {
  disclose?: boolean
}

/** What a user may do in a conversation. */
export interface ConversationAccess {
  conversation: ConversationRow
  participant: boolean
  workspaceRole: WorkspaceRole | undefined
  /** May post, edit own messages, rename, mark read. */
  canWrite: boolean
  /** May delete the conversation. */
  canManage: boolean
}

export function workspaceRole(db: Tx, workspaceId: string, userId: string): WorkspaceRole | undefined {
  return db
    .select({ role: workspaceMembers.role })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
    .get()?.role
}

/** Who may see a conversation now: its participants and its workspace's members. */
export function conversationAudience(db: Tx, c: { id: string; workspaceId: string | null }): string[] {
  const ids = new Set(
    db
      .select({ id: conversationParticipants.userId })
      .from(conversationParticipants)
      .where(eq(conversationParticipants.conversationId, c.id))
      .all()
      .map((r) => r.id)
  )
  if (c.workspaceId) {
    for (const r of db.select({ id: workspaceMembers.userId }).from(workspaceMembers).where(eq(workspaceMembers.workspaceId, c.workspaceId)).all()) {
      ids.add(r.id)
    }
  }
  return [...ids]
}

/**
 * Before deleting rows that take conversations with them (a workspace, a user), in the deleting
 * unit of work: releases those conversations' files and emits their `conversation.deleted`
 * events, so sockets and webhooks hear of them; the blobs no row uses any more are swept after
 * the commit, so none is left behind.
 */
export function releaseConversations(
  w: Work,
  files: { releaseConversation(tx: Tx, conversationId: string): string[]; sweep(shas: string[]): void },
  conversationRows: { id: string; workspaceId: string | null }[],
  actorId: string
): void {
  const blobs: string[] = []
  for (const c of conversationRows) {
    w.emit({ type: 'conversation.deleted', conversationId: c.id, actorId, audience: conversationAudience(w.tx, c) })
    blobs.push(...files.releaseConversation(w.tx, c.id))
  }
  if (blobs.length) w.afterCommit(() => files.sweep(blobs))
}

/** Whether a user may see a conversation (without throwing). */
export function canSeeConversation(db: Tx, conversationId: string, userId: string): boolean {
  try {
    conversationAccess(db, conversationId, userId)
    return true
  } catch {
    return false
  }
}

/**
 * The single rule of who sees a conversation: its participants, and the members of the workspace
 * it belongs to. Everyone else gets CONVERSATION_NOT_FOUND (the surface's 404), never the data.
 */
export function conversationAccess(db: Tx, conversationId: string, userId: string): ConversationAccess {
  const conversation = db.select().from(conversations).where(eq(conversations.id, conversationId)).get()
  if (!conversation) throw new DomainError('CONVERSATION_NOT_FOUND', 'Conversation not found')
  const participant =
    db
      .select({ u: conversationParticipants.userId })
      .from(conversationParticipants)
      .where(and(eq(conversationParticipants.conversationId, conversationId), eq(conversationParticipants.userId, userId)))
      .get() !== undefined
  const role = conversation.workspaceId ? workspaceRole(db, conversation.workspaceId, userId) : undefined
  if (!participant && !role) throw new DomainError('CONVERSATION_NOT_FOUND', 'Conversation not found')
  const canWrite = participant || (role !== undefined && role !== 'viewer')
  const canManage = conversation.creatorId === userId || role === 'owner' || role === 'admin'
  return { conversation, participant, workspaceRole: role, canWrite, canManage }
}
