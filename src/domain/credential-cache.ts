import type { DomainEvent, EventSubscriptions } from './events.js'
import type { UserRow } from './users.js'

/**
 * A Map of at most `max` entries, each kept at most `maxAgeMs`: the oldest entry goes first when
 * it is full. Reads do not reorder (a hit costs one lookup).
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>()

  constructor(
    private readonly max: number,
    private readonly maxAgeMs: number
  ) {}

  get(key: K, now = Date.now()): V | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (entry.until <= now) {
      this.entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /** Keeps `value` until `until` (a time in ms) or the cache's age limit, whichever comes first. */
  set(key: K, value: V, until = Number.POSITIVE_INFINITY, now = Date.now()): void {
    if (this.max <= 0) return
    this.entries.delete(key)
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as K)
    this.entries.set(key, { value, until: Math.min(until, now + this.maxAgeMs) })
  }

  delete(key: K): void {
    this.entries.delete(key)
  }

  /** Drops every entry whose value matches. */
  deleteWhere(test: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (test(entry.value)) this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}

/** The claims of an access token whose signature, issuer, audience and expiry were checked. */
export interface VerifiedAccessToken {
  sub: string
  sid: string
  /** When it expires, in ms since the epoch. */
  expiresAt: number
}

export interface SessionState {
  userId: string
  revokedAt: string | null
}

export interface CredentialCacheOptions {
  /** Entries of each kind (tokens, sessions, users); 0 turns the cache off. */
  max: number
  /** How long an entry is trusted at most, as a backstop for changes made outside this process. */
  maxAgeMs: number
}

export const DEFAULT_CREDENTIAL_CACHE: CredentialCacheOptions = { max: 10_000, maxAgeMs: 60_000 }

/**
 * What authenticating a request reads, kept in memory so that a request with a credential seen
 * before costs no HMAC and no query: verified access tokens (by the token, until they expire),
 * sessions (refresh-token families) and users, by id.
 *
 * Every change to a session or a user goes through a unit of work, which publishes its domain
 * event right after the commit; the cache drops what the event changes before any other request
 * runs: `session.revoked` the session, `user.sessions_revoked` the user's sessions and the user,
 * `user.updated` the user. Rows read inside a transaction are not kept (they may yet roll back).
 * Entries are also dropped after `maxAgeMs`, so a row changed behind the service's back (by hand
 * in the database) is read again within that time.
 */
export class CredentialCache {
  readonly tokens: BoundedCache<string, VerifiedAccessToken>
  readonly sessions: BoundedCache<string, SessionState>
  readonly users: BoundedCache<string, Readonly<UserRow>>
  private readonly unsubscribe: () => void

  constructor(events: EventSubscriptions, options: CredentialCacheOptions = DEFAULT_CREDENTIAL_CACHE) {
    this.tokens = new BoundedCache(options.max, options.maxAgeMs)
    this.sessions = new BoundedCache(options.max, options.maxAgeMs)
    this.users = new BoundedCache(options.max, options.maxAgeMs)
    this.unsubscribe = events.subscribe((event) => this.forget(event))
  }

  /** Drops what an event changed. */
  forget(event: DomainEvent): void {
    switch (event.type) {
      case 'session.revoked':
        this.sessions.delete(event.sessionId)
        break
      case 'user.sessions_revoked':
        this.sessions.deleteWhere((s) => s.userId === event.userId)
        this.users.delete(event.userId)
        break
      case 'user.updated':
        this.users.delete(event.userId)
        break
      default:
        break
    }
  }

  close(): void {
    this.unsubscribe()
  }
}
