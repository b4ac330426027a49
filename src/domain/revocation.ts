import { and, eq, isNull, ne } from 'drizzle-orm'
import { refreshTokenFamilies } from '../db/schema.js'
import { nowIso } from './clock.js'
import type { DomainEvent } from './events.js'
import type { Principal } from './principal.js'
import type { Work } from './unit-of-work.js'

/** The domain events that take credentials away: a session, every session of a user, an API key. */
export type RevocationEvent = Extract<DomainEvent, { type: 'session.revoked' | 'user.sessions_revoked' | 'api_key.revoked' }>

/**
 * Whether an event revokes what a principal signed in with, so that a long-lived connection of
 * it (a WebSocket, a Socket.IO socket) must be closed at once. One rule for every transport:
 * - `session.revoked`: the principal of that session (its access tokens and tickets);
 * - `user.sessions_revoked`: every session of the user but `exceptSessionId`, and, when
 *   `apiKeys` is true, the user's API keys too (a disabled or deleted account);
 * - `api_key.revoked`: the principal of that key.
 */
export function revokes(event: DomainEvent, p: Principal): boolean {
  switch (event.type) {
    case 'session.revoked':
      return p.sessionId === event.sessionId
    case 'user.sessions_revoked':
      if (p.userId !== event.userId) return false
      if (p.apiKeyId) return event.apiKeys
      return p.sessionId === undefined || p.sessionId !== event.exceptSessionId
    case 'api_key.revoked':
      return p.apiKeyId === event.apiKeyId
    default:
      return false
  }
}

/**
 * In a unit of work: ends every session of a user but `exceptSessionId` (their refresh tokens and
 * access tokens stop working) and emits `user.sessions_revoked`, so their sockets close.
 */
export function revokeUserSessions(
  w: Work,
  userId: string,
  reason: Extract<RevocationEvent, { type: 'user.sessions_revoked' }>['reason'],
  opts: { exceptSessionId?: string | null; apiKeys: boolean }
): void {
  const exceptSessionId = opts.exceptSessionId ?? null
  const filters = [eq(refreshTokenFamilies.userId, userId), isNull(refreshTokenFamilies.revokedAt)]
  if (exceptSessionId) filters.push(ne(refreshTokenFamilies.id, exceptSessionId))
  w.tx
    .update(refreshTokenFamilies)
    .set({ revokedAt: nowIso(), revokedReason: reason })
    .where(and(...filters))
    .run()
  w.emit({ type: 'user.sessions_revoked', userId, reason, exceptSessionId, apiKeys: opts.apiKeys })
}
