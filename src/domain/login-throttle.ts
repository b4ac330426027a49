import { DomainError } from './errors.js'

/** Failed sign-ins an account is allowed before it is locked. */
export const LOGIN_FREE_ATTEMPTS = 5
/** The first lock; each lock after it (with failures in between) lasts twice as long. */
export const LOGIN_LOCK_BASE_MS = 30_000
/** No lock lasts longer than this, so an attacker cannot keep a user out for long. */
export const LOGIN_LOCK_MAX_MS = 5 * 60_000
/** An account's failures are forgotten after this long without one. */
export const LOGIN_FAILURE_MEMORY_MS = 15 * 60_000
/** Accounts tracked at once; past it the longest-idle entries are forgotten. */
const MAX_TRACKED = 50_000

export interface LoginThrottleOptions {
  freeAttempts: number
  lockBaseMs: number
  lockMaxMs: number
  memoryMs: number
  now: () => number
}

interface Entry {
  /** Attempts since the last success or lock, counted when they start (so concurrent guesses count). */
  failures: number
  /** How many locks this account has had in a row: the next lasts lockBaseMs * 2^locks. */
  locks: number
  lockedUntil: number
  lastFailureAt: number
}

/**
 * Per-account protection against password guessing, whatever address the guesses come from:
 * after `freeAttempts` failed sign-ins the account (by normalized email, whether it exists or
 * not) is locked for 30 s, then 60 s, 120 s... at most 5 minutes; a sign-in during a lock is
 * refused with `TOO_MANY_ATTEMPTS` and a `retryAfter`, without checking the password (and is not
 * counted, so an attacker cannot stretch the lock). A success forgets the account's failures.
 *
 * Kept in memory, not in the database: a guess costs no write, a restart merely forgives, and
 * each node of a cluster counts on its own (the per-address rate limit still holds in front).
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>()
  private readonly opts: LoginThrottleOptions

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.opts = {
      freeAttempts: LOGIN_FREE_ATTEMPTS,
      lockBaseMs: LOGIN_LOCK_BASE_MS,
      lockMaxMs: LOGIN_LOCK_MAX_MS,
      memoryMs: LOGIN_FAILURE_MEMORY_MS,
      now: Date.now,
      ...options
    }
  }

  /**
   * Starts a sign-in attempt for an account: throws TOO_MANY_ATTEMPTS while it is locked, else
   * counts the attempt as a failure until `succeeded` says otherwise.
   */
  begin(account: string): void {
    const now = this.opts.now()
    let entry = this.entries.get(account)
    if (entry && now - entry.lastFailureAt > this.opts.memoryMs && entry.lockedUntil <= now) {
      this.entries.delete(account)
      entry = undefined
    }
    if (entry && entry.lockedUntil > now) {
      const retryAfter = Math.max(1, Math.ceil((entry.lockedUntil - now) / 1000))
      throw new DomainError('TOO_MANY_ATTEMPTS', `Too many failed sign-ins for this account; try again in ${retryAfter} s`, undefined, { retryAfter })
    }
    if (!entry) {
      entry = { failures: 0, locks: 0, lockedUntil: 0, lastFailureAt: now }
      this.remember(account, entry)
    }
    entry.failures++
    entry.lastFailureAt = now
    if (entry.failures >= this.opts.freeAttempts) {
      entry.lockedUntil = now + Math.min(this.opts.lockMaxMs, this.opts.lockBaseMs * 2 ** entry.locks)
      entry.locks++
      entry.failures = 0
    }
  }

  /** The attempt signed in: the account's failures and locks are forgotten. */
  succeeded(account: string): void {
    this.entries.delete(account)
  }

  private remember(account: string, entry: Entry): void {
    if (this.entries.size >= MAX_TRACKED) {
      const oldest = this.entries.keys().next().value
      if (oldest !== undefined) this.entries.delete(oldest)
    }
    this.entries.set(account, entry)
  }
}
