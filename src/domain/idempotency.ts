import { createHash } from 'node:crypto'
import { and, eq, lt, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/index.js'
import { prepared } from '../db/prepared.js'
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

// Read and written in the transaction of every request that sends a key: prepared once per connection.
const storedAnswer = (db: Tx) =>
  db
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.userId, sql.placeholder('userId')),
        eq(idempotencyKeys.scope, sql.placeholder('scope')),
        eq(idempotencyKeys.key, sql.placeholder('key'))
      )
    )
    .prepare()
const storeAnswer = (db: Tx) =>
  db
    .insert(idempotencyKeys)
    .values({
      userId: sql.placeholder('userId'),
      scope: sql.placeholder('scope'),
      key: sql.placeholder('key'),
      requestHash: sql.placeholder('requestHash'),
      statusCode: sql.placeholder('statusCode'),
      // The JSON text as it is (a placeholder of a JSON column would encode it again).
      response: sql`${sql.placeholder('response')}`,
      createdAt: sql.placeholder('createdAt')
    })
    .prepare()

/**
 * `Idempotency-Key`: the same key twice makes one thing, and the second answer equals the first.
 * The answer is stored in the transaction that made the thing, so a crash cannot split them.
 * Reusing a key for a different request is refused.
 */
export class IdempotencyService {
  constructor(readonly db: Db) {}

  /** The stored answer for a key, or undefined. Throws when the key was used for another request. */
  lookup(tx: Tx, userId: string, scope: string, key: string, hash: string): StoredAnswer | undefined {
    const row = prepared(tx, storedAnswer).get({ userId, scope, key })
    if (!row) return undefined
    if (row.requestHash !== hash) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request')
    }
    return { statusCode: row.statusCode, body: row.response }
  }

  store(tx: Tx, userId: string, scope: string, key: string, hash: string, answer: StoredAnswer): void {
    prepared(tx, storeAnswer).run({
      userId,
      scope,
      key,
      requestHash: hash,
      statusCode: answer.statusCode,
      response: JSON.stringify(answer.body),
      createdAt: nowIso()
    })
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
