import { and, eq, isNotNull, isNull, lt, or } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { oauthAuthorizations, oauthIdentities, signInTokens, users } from '../db/schema.js'
import type { AuthService, TokenPair } from './auth.js'
import { isoIn, newId, nowIso } from './clock.js'
import { randomToken, sha256 } from './crypto.js'
import { DomainError } from './errors.js'
import { normalizeEmail, type UserRow, type UserService, userRecord, type UserRecord } from './users.js'
import type { UnitOfWork } from './unit-of-work.js'

/** How long a browser has to come back from the provider to the callback. */
export const AUTHORIZATION_TTL_SECONDS = 600
/** How long the front end has to exchange the one-time sign-in token for cookies. */
export const SIGN_IN_TOKEN_TTL_SECONDS = 120

/** What a provider vouched for, once its ID token was verified. */
export interface ProviderIdentity {
  provider: string
  /** The provider's stable id of the person (`sub`). */
  subject: string
  email?: string
  emailVerified?: boolean
  name?: string
}

/** What the callback of an authorization request needs back: the values it was started with. */
export interface PendingAuthorization {
  nonce: string
  codeVerifier: string
}

/**
 * Whether an email may sign in under an allow-list of addresses and `@domain`s (lower-cased).
 * An empty list lets everyone in.
 */
export function isEmailAllowed(email: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true
  const normalized = normalizeEmail(email)
  const domain = normalized.slice(normalized.lastIndexOf('@'))
  return allowed.some((entry) => (entry.startsWith('@') ? entry === domain : entry === normalized))
}

/**
 * The rules of signing in with an OpenID Connect provider: the pending authorizations (state,
 * nonce, PKCE verifier) kept until their callback, which account an identity signs in to (linked
 * by provider and subject, or by verified email, or a new one), the allow-list, and the one-time
 * token that hands a finished sign-in to the front end. The protocol itself is the HTTP layer's.
 */
export class BrowserSignInService {
  constructor(
    private readonly db: Db,
    private readonly uow: UnitOfWork,
    private readonly users: UserService,
    private readonly auth: AuthService,
    private readonly options: { allowedEmails: readonly string[] }
  ) {}

  /** Keeps what the callback of the authorization request with this `state` will need. */
  beginAuthorization(provider: string, state: string, pending: PendingAuthorization): void {
    const now = nowIso()
    this.db.delete(oauthAuthorizations).where(lt(oauthAuthorizations.expiresAt, now)).run()
    this.db
      .insert(oauthAuthorizations)
      .values({ stateHash: sha256(state), provider, ...pending, expiresAt: isoIn(AUTHORIZATION_TTL_SECONDS * 1000) })
      .run()
  }

  /**
   * Spends the authorization request with this `state`: a callback works once, for the provider
   * it was started with, before it expires.
   */
  takeAuthorization(provider: string, state: string): PendingAuthorization {
    const row = this.db
      .delete(oauthAuthorizations)
      .where(eq(oauthAuthorizations.stateHash, sha256(state)))
      .returning()
      .get()
    if (!row || row.provider !== provider || row.expiresAt <= nowIso()) {
      throw new DomainError('OAUTH_STATE_INVALID', 'This sign-in is unknown, expired or already finished; start again')
    }
    return { nonce: row.nonce, codeVerifier: row.codeVerifier }
  }

  /**
   * The account an identity signs in to. An identity seen before signs in to its account; a new
   * one is linked to the account with the same (verified) email, or a new account is made. The
   * email must be given, verified by the provider, and allowed by `ALLOWED_EMAILS`.
   */
  signIn(identity: ProviderIdentity): UserRecord {
    const email = identity.email?.trim()
    if (!email) throw new DomainError('EMAIL_NOT_VERIFIED', `${identity.provider} did not share an email address; allow access to it and try again`)
    if (identity.emailVerified !== true) {
      throw new DomainError('EMAIL_NOT_VERIFIED', `${identity.provider} has not verified ${email}; verify it with them and try again`)
    }
    if (!isEmailAllowed(email, this.options.allowedEmails)) {
      throw new DomainError('EMAIL_NOT_ALLOWED', `${email} is not allowed to sign in here`)
    }
    const user = this.uow.run((w) => {
      const { tx } = w
      const now = nowIso()
      const key = and(eq(oauthIdentities.provider, identity.provider), eq(oauthIdentities.subject, identity.subject))
      const linked = tx.select({ user: users }).from(oauthIdentities).innerJoin(users, eq(oauthIdentities.userId, users.id)).where(key).get()
      if (linked) {
        tx.update(oauthIdentities).set({ lastUsedAt: now }).where(key).run()
        return linked.user
      }
      let row: UserRow | undefined = tx
        .select()
        .from(users)
        .where(eq(users.emailNormalized, normalizeEmail(email)))
        .get()
      if (!row) {
        const first = tx.select({ id: users.id }).from(users).limit(1).get() === undefined
        row = tx
          .insert(users)
          .values({
            id: newId(),
            email,
            emailNormalized: normalizeEmail(email),
            passwordHash: null,
            fullName: identity.name?.trim() || null,
            role: first ? 'admin' : 'user',
            isActive: true,
            createdAt: now,
            updatedAt: now
          })
          .returning()
          .get()
        w.emit({ type: 'user.created', userId: row.id, user: userRecord(row) })
      }
      tx.insert(oauthIdentities)
        .values({ provider: identity.provider, subject: identity.subject, userId: row.id, email, createdAt: now, lastUsedAt: now })
        .run()
      return row
    })
    if (!user.isActive) throw new DomainError('ACCOUNT_DISABLED', 'This account is disabled')
    return userRecord(user)
  }

  /** A one-time token the front end exchanges for a session of this user. */
  issueSignInToken(userId: string): { token: string; expires_in: number } {
    const token = randomToken('sit_')
    this.db
      .delete(signInTokens)
      .where(or(lt(signInTokens.expiresAt, nowIso()), isNotNull(signInTokens.usedAt)))
      .run()
    this.db
      .insert(signInTokens)
      .values({ tokenHash: sha256(token), userId, expiresAt: isoIn(SIGN_IN_TOKEN_TTL_SECONDS * 1000) })
      .run()
    return { token, expires_in: SIGN_IN_TOKEN_TTL_SECONDS }
  }

  /** Spends a sign-in token (once, before it expires) for a new session of its user. */
  redeemSignInToken(token: string): { user: UserRecord; tokens: TokenPair } {
    const now = nowIso()
    const row = this.db
      .update(signInTokens)
      .set({ usedAt: now })
      .where(and(eq(signInTokens.tokenHash, sha256(token)), isNull(signInTokens.usedAt)))
      .returning()
      .get()
    if (!row || row.expiresAt <= now) throw new DomainError('INVALID_TOKEN', 'Invalid, used or expired sign-in token; sign in again')
    const tokens = this.auth.startSession(row.userId)
    return { user: userRecord(this.users.require(row.userId)), tokens }
  }
}
