import { and, eq } from 'drizzle-orm'
import { conversationParticipants, conversations, workspaceMembers } from '../db/schema.js'
import { DomainError } from './errors.js'
import type { Tx } from './events.js'

export type ConversationRow = typeof conversations.$inferSelect

import type { WorkspaceRole } from './workspaces.js'
export type { WorkspaceRole }

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
