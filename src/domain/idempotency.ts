import { createHash } from 'node:crypto'
import { and, eq, lt } from 'drizzle-orm'
import type { Db, Tx } from '../db/index.js'
import { idempotencyKeys } from '../db/schema.js'
import { nowIso } from './clock.js'
import { DomainError } from './errors.js'

/** How long an answer is kept for a key. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000

export interface StoredAnswer {
  statusCode: number
  body: unknown
}

export function requestHash(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value ?? null))
    .digest('hex')
}

/**
 * `Idempotency-Key`: the same key twice makes one thing, and the second answer equals the first.
 * The answer is stored in the transaction that made the thing, so a crash cannot split them.
 * Reusing a key for a different request is refused.
 */
export class IdempotencyService {
  constructor(readonly db: Db) {}

  /** The stored answer for a key, or undefined. Throws when the key was used for another request. */
  lookup(tx: Tx, userId: string, scope: string, key: string, hash: string): StoredAnswer | undefined {
    const row = tx
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)))
      .get()
    if (!row) return undefined
    if (row.requestHash !== hash) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request')
    }
    return { statusCode: row.statusCode, body: row.response }
  }

  store(tx: Tx, userId: string, scope: string, key: string, hash: string, answer: StoredAnswer): void {
    tx.insert(idempotencyKeys)
      .values({ userId, scope, key, requestHash: hash, statusCode: answer.statusCode, response: answer.body, createdAt: nowIso() })
      .run()
  }

  /**
   * Keeps an answer made outside a transaction of this service's (a route's whole answer). A key
   * already kept (two retries at once) keeps its first answer.
   */
  remember(userId: string, scope: string, key: string, hash: string, answer: StoredAnswer): void {
    this.db
      .insert(idempotencyKeys)
      .values({ userId, scope, key, requestHash: hash, statusCode: answer.statusCode, response: answer.body, createdAt: nowIso() })
      .onConflictDoNothing()
      .run()
  }

  /** Forgets answers older than the TTL. */
  prune(): number {
    const cutoff = new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString()
    return this.db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, cutoff)).run().changes
  }
}
