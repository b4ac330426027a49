import { and, eq, isNull, lt, or, isNotNull } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { wsTickets } from '../db/schema.js'
import { isoIn, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import type { Principal } from './principal.js'
import { randomToken, sha256 } from './crypto.js'

export const WS_TICKET_TTL_SECONDS = 30

/**
 * Short-lived single-use tickets for opening `/ws` from a browser, which cannot set headers on a
 * WebSocket: the page asks for a ticket with its token and passes it as `?ticket=`.
 */
export class WsTicketService {
  constructor(private readonly db: Db) {}

  issue(p: Principal): { ticket: string; expires_in: number } {
    const ticket = randomToken('wst_')
    this.prune()
    this.db
      .insert(wsTickets)
      .values({
        ticketHash: sha256(ticket),
        userId: p.userId,
        expiresAt: isoIn(WS_TICKET_TTL_SECONDS * 1000),
        sessionId: p.sessionId ?? null,
        apiKeyId: p.apiKeyId ?? null
      })
      .run()
    return { ticket, expires_in: WS_TICKET_TTL_SECONDS }
  }

  /**
   * Spends a ticket; returns its user and the session or API key it was issued under. A ticket
   * works once and only before it expires.
   */
  redeem(ticket: string): { userId: string; sessionId?: string; apiKeyId?: string } {
    const now = nowIso()
    const row = this.db
      .update(wsTickets)
      .set({ usedAt: now })
      .where(and(eq(wsTickets.ticketHash, sha256(ticket)), isNull(wsTickets.usedAt)))
      .returning()
      .get()
    if (!row || row.expiresAt <= now) throw new DomainError('INVALID_TOKEN', 'Invalid, used or expired WebSocket ticket')
    return { userId: row.userId, ...(row.sessionId ? { sessionId: row.sessionId } : {}), ...(row.apiKeyId ? { apiKeyId: row.apiKeyId } : {}) }
  }

  private prune(): void {
    this.db
      .delete(wsTickets)
      .where(or(lt(wsTickets.expiresAt, nowIso()), isNotNull(wsTickets.usedAt)))
      .run()
  }
}
