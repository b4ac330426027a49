import { and, eq, exists, or, type SQL, sql } from 'drizzle-orm'
import type { Tx } from '../db/index.js'
import { prepared } from '../db/prepared.js'
import { assistants, conversationParticipants, conversations, workspaceAgents, workspaceMembers } from '../db/schema.js'
import { DomainError } from './errors.js'
import { isAdmin, type Principal } from './principal.js'
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

// The reads every conversation request makes, prepared once per connection.
const roleInWorkspace = (db: Tx) =>
  db
    .select({ role: workspaceMembers.role })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, sql.placeholder('workspaceId')), eq(workspaceMembers.userId, sql.placeholder('userId'))))
    .prepare()
const conversationById = (db: Tx) =>
  db
    .select()
    .from(conversations)
    .where(eq(conversations.id, sql.placeholder('id')))
    .prepare()
const isParticipant = (db: Tx) =>
  db
    .select({ u: conversationParticipants.userId })
    .from(conversationParticipants)
    .where(and(eq(conversationParticipants.conversationId, sql.placeholder('conversationId')), eq(conversationParticipants.userId, sql.placeholder('userId'))))
    .prepare()
const participantIds = (db: Tx) =>
  db
    .select({ id: conversationParticipants.userId })
    .from(conversationParticipants)
    .where(eq(conversationParticipants.conversationId, sql.placeholder('conversationId')))
    .prepare()
const memberIds = (db: Tx) =>
  db
    .select({ id: workspaceMembers.userId })
    .from(workspaceMembers)
    .where(eq(workspaceMembers.workspaceId, sql.placeholder('workspaceId')))
    .prepare()

const assistantOfConversation = (db: Tx) =>
  db
    .select({ assistantId: conversations.assistantId })
    .from(conversations)
    .where(eq(conversations.id, sql.placeholder('id')))
    .prepare()

/** The assistant a conversation has (null for none; undefined when there is no such conversation). */
export function conversationAssistant(db: Tx, conversationId: string): string | null | undefined {
  return prepared(db, assistantOfConversation).get({ id: conversationId })?.assistantId
}

/** A conversation's row by id (a prepared read), or undefined. */
export function findConversation(db: Tx, id: string): ConversationRow | undefined {
  return prepared(db, conversationById).get({ id })
}

export function workspaceRole(db: Tx, workspaceId: string, userId: string): WorkspaceRole | undefined {
  return prepared(db, roleInWorkspace).get({ workspaceId, userId })?.role
}

/** Who may see a conversation now: its participants and its workspace's members. */
export function conversationAudience(db: Tx, c: { id: string; workspaceId: string | null }): string[] {
  const ids = new Set(
    prepared(db, participantIds)
      .all({ conversationId: c.id })
      .map((r) => r.id)
  )
  if (c.workspaceId) {
    for (const r of prepared(db, memberIds).all({ workspaceId: c.workspaceId })) ids.add(r.id)
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
  const conversation = findConversation(db, conversationId)
  if (!conversation) throw new DomainError('CONVERSATION_NOT_FOUND', 'Conversation not found')
  const participant = prepared(db, isParticipant).get({ conversationId, userId }) !== undefined
  const role = conversation.workspaceId ? workspaceRole(db, conversation.workspaceId, userId) : undefined
  if (!participant && !role) throw new DomainError('CONVERSATION_NOT_FOUND', 'Conversation not found')
  const canWrite = participant || (role !== undefined && role !== 'viewer')
  const canManage = conversation.creatorId === userId || role === 'owner' || role === 'admin'
  return { conversation, participant, workspaceRole: role, canWrite, canManage }
}

/** What the assistant rules need to know of an assistant. */
export interface AssistantAccessFacts {
  id: string
  ownerId: string | null
  status: 'active' | 'inactive' | 'draft'
  visibility: 'private' | 'workspace' | 'public'
}

/** Whether the caller owns the assistant or is an admin: may change it, and read its system prompt and tools. */
export function ownsAssistant(p: Principal, a: Pick<AssistantAccessFacts, 'ownerId'>): boolean {
  return a.ownerId === p.userId || isAdmin(p)
}

/** The assistant is attached to a workspace the user is a member of (a SQL condition on `assistants`). */
function sharedThroughWorkspace(db: Tx, userId: string): SQL {
  return exists(
    db
      .select({ one: workspaceAgents.assistantId })
      .from(workspaceAgents)
      .innerJoin(workspaceMembers, eq(workspaceMembers.workspaceId, workspaceAgents.workspaceId))
      .where(and(eq(workspaceAgents.assistantId, assistants.id), eq(workspaceMembers.userId, userId)))
  )
}

/**
 * The single rule of who sees (and may talk to) an assistant, as a SQL condition on `assistants`
 * for lists; undefined when the caller sees all (an admin). Its owner always; others only an
 * `active` one that is `public`, or `workspace` and attached to a workspace they are a member of.
 */
export function assistantsVisibleTo(db: Tx, p: Principal): SQL | undefined {
  if (isAdmin(p)) return undefined
  return or(
    eq(assistants.ownerId, p.userId),
    and(
      eq(assistants.status, 'active'),
      or(eq(assistants.visibility, 'public'), and(eq(assistants.visibility, 'workspace'), sharedThroughWorkspace(db, p.userId)))
    )
  )
}

/** Whether the caller may see one assistant (the rule of `assistantsVisibleTo`). */
export function canSeeAssistant(db: Tx, p: Principal, a: AssistantAccessFacts): boolean {
  if (ownsAssistant(p, a)) return true
  if (a.status !== 'active' || a.visibility === 'private') return false
  if (a.visibility === 'public') return true
  return (
    db
      .select({ id: assistants.id })
      .from(assistants)
      .where(and(eq(assistants.id, a.id), sharedThroughWorkspace(db, p.userId)))
      .get() !== undefined
  )
}

/**
 * Whether the caller may attach an assistant to a workspace, sharing it with its members: its
 * owner or an admin, or anyone when it is public and active. Seeing it through another
 * workspace is not enough to share it further.
 */
export function canShareAssistant(p: Principal, a: AssistantAccessFacts): boolean {
  return ownsAssistant(p, a) || (a.status === 'active' && a.visibility === 'public')
}
