import { and, count, desc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { apiKeys } from '../db/schema.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import { type Page, type PageQuery, pageWindow, toPage } from './pagination.js'
import type { Principal } from './principal.js'
import { randomToken, sha256 } from './crypto.js'
import type { UnitOfWork } from './unit-of-work.js'

const KEY_PREFIX = 'ak_'

export interface ApiKeyRecord {
  id: string
  name: string
  prefix: string
  created_at: string
  last_used_at: string | null
}

export interface CreatedApiKeyRecord extends ApiKeyRecord {
  /** The key itself: shown once, at creation. */
  key: string
}

type ApiKeyRow = typeof apiKeys.$inferSelect

function apiKeyRecord(k: ApiKeyRow): ApiKeyRecord {
  return { id: k.id, name: k.name, prefix: k.prefix, created_at: k.createdAt, last_used_at: k.lastUsedAt }
}

export class ApiKeyService {
  constructor(
    private readonly db: Db,
    private readonly uow: UnitOfWork
  ) {}

  looksLikeKey(credential: string): boolean {
    return credential.startsWith(KEY_PREFIX)
  }

  create(p: Principal, name: string): CreatedApiKeyRecord {
    const key = randomToken(KEY_PREFIX)
    const row = this.db
      .insert(apiKeys)
      .values({ id: newId(), userId: p.userId, name, prefix: key.slice(0, 10), keyHash: sha256(key), createdAt: nowIso() })
      .returning()
      .get()
    return { ...apiKeyRecord(row), key }
  }

  list(p: Principal, q: PageQuery): Page<ApiKeyRecord> {
    const w = pageWindow(q)
    const where = and(eq(apiKeys.userId, p.userId), isNull(apiKeys.revokedAt))
    const rows = this.db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).limit(w.size).offset(w.offset).all()
    const total = this.db.select({ n: count() }).from(apiKeys).where(where).get()!.n
    return toPage(rows.map(apiKeyRecord), total, w)
  }

  /** Revokes one of the caller's keys; its open sockets are closed (`api_key.revoked`). */
  revoke(p: Principal, id: string): void {
    this.uow.run((w) => {
      const res = w.tx
        .update(apiKeys)
        .set({ revokedAt: nowIso() })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, p.userId), isNull(apiKeys.revokedAt)))
        .run()
      if (res.changes === 0) throw new DomainError('API_KEY_NOT_FOUND', 'API key not found')
      w.emit({ type: 'api_key.revoked', userId: p.userId, apiKeyId: id })
    })
  }

  /** Whether a key (by id) exists and is not revoked. */
  isLive(id: string): boolean {
    return (
      this.db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .get() !== undefined
    )
  }

  /** The owner of a live key, without recording a use (for rate limiting); undefined when unknown or revoked. */
  ownerOf(key: string): string | undefined {
    return this.db
      .select({ userId: apiKeys.userId })
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, sha256(key)), isNull(apiKeys.revokedAt)))
      .get()?.userId
  }

  /** The live key row for a presented key, recording its use; undefined when unknown or revoked. */
  resolve(key: string): ApiKeyRow | undefined {
    const row = this.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, sha256(key)), isNull(apiKeys.revokedAt)))
      .get()
    if (row) this.db.update(apiKeys).set({ lastUsedAt: nowIso() }).where(eq(apiKeys.id, row.id)).run()
    return row
  }
}
