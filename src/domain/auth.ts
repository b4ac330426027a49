import { and, eq, gt, isNotNull, isNull, ne, sql } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { refreshTokenFamilies, refreshTokens, users } from '../db/schema.js'
import { isoIn, newId, nowIso } from './clock.js'
import { randomToken, sha256 } from './crypto.js'
import { DomainError } from './errors.js'
import { LoginThrottle } from './login-throttle.js'
import { assertStrongPassword, burnVerification, hashPassword, verifyPassword } from './passwords.js'
import { SYSTEM_OWNER_ID } from './system-owner.js'
import type { Principal } from './principal.js'
import { normalizeEmail, type UserRow, type UserService, userRecord, type UserRecord } from './users.js'
import type { ApiKeyService } from './api-keys.js'
import { inTransaction, type UnitOfWork } from './unit-of-work.js'
import type { CredentialCache, SessionState, VerifiedAccessToken } from './credential-cache.js'

export const ACCESS_TOKEN_TTL_SECONDS = 1800
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000
/**
 * A refresh token presented again within this long after it was exchanged, while the token it
 * was exchanged for is still unused, is a retry (two tabs refreshing at once, a lost answer), not
 * a theft: it gets a sibling pair in the same session instead of revoking it.
 */
export const REFRESH_REUSE_GRACE_MS = 20_000

/** Claims of an access token. `typ` tells it from anything else signed with the same secret. */
export interface AccessClaims {
  sub: string
  role: 'admin' | 'user'
  sid: string
  typ: 'access'
}

/** Signs and verifies access tokens; the HTTP layer implements it (with @fastify/jwt). */
export interface TokenSigner {
  sign(claims: AccessClaims): string
  /** Returns the claims, or throws when the token is invalid, expired or of another issuer/audience. */
  verify(token: string): Record<string, unknown>
}

export interface TokenPair {
  access_token: string
  refresh_token: string
  token_type: 'bearer'
  expires_in: number
}

export interface RegisterInput {
  email: string
  password: string
  full_name?: string | null
}

export class AuthService {
  /** Every authenticated request reads its session: the statement is prepared once. */
  private readonly sessionById

  constructor(
    private readonly db: Db,
    private readonly signer: TokenSigner,
    private readonly users: UserService,
    private readonly apiKeys: ApiKeyService,
    private readonly uow: UnitOfWork,
    private readonly throttle: LoginThrottle = new LoginThrottle(),
    /** Verified tokens and sessions are kept here (it drops sessions when they are revoked). */
    private readonly cache?: CredentialCache
  ) {
    this.sessionById = db
      .select({ revokedAt: refreshTokenFamilies.revokedAt, userId: refreshTokenFamilies.userId })
      .from(refreshTokenFamilies)
      .where(eq(refreshTokenFamilies.id, sql.placeholder('id')))
      .prepare()
  }

  /** Creates an account. The first account registered is an admin. */
  async register(input: RegisterInput): Promise<UserRecord> {
    const emailNormalized = normalizeEmail(input.email)
    assertStrongPassword(input.password, 'body.password', [input.email, input.full_name])
    // Hashed before looking the email up, so a taken email answers no faster than a new one.
    const passwordHash = await hashPassword(input.password)
    const now = nowIso()
    // Synchronous from here: the check and the insert cannot interleave with another request.
    return this.uow.run((w) => {
      const { tx } = w
      if (tx.select({ id: users.id }).from(users).where(eq(users.emailNormalized, emailNormalized)).get()) {
        throw new DomainError('EMAIL_TAKEN', 'A user with this email already exists')
      }
      // The system owner (see system-owner.ts) is not a person: the first person is still the admin.
      const first = tx.select({ id: users.id }).from(users).where(ne(users.id, SYSTEM_OWNER_ID)).limit(1).get() === undefined
      const row = tx
        .insert(users)
        .values({
          id: newId(),
          email: input.email.trim(),
          emailNormalized,
          passwordHash,
          fullName: input.full_name ?? null,
          role: first ? 'admin' : 'user',
          isActive: true,
          createdAt: now,
          updatedAt: now
        })
        .returning()
        .get()
      const user = userRecord(row)
      w.emit({ type: 'user.created', userId: row.id, user })
      return user
    })
  }

  /**
   * Signs in with a password. An unknown email, a wrong password and a disabled account answer
   * alike (INVALID_CREDENTIALS, after the same argon2 work), so none tells an account exists; an
   * account with too many failures is locked a short while (TOO_MANY_ATTEMPTS, see LoginThrottle).
   * Only with `revealUnknownEmail` (for APIs whose clients are promised it) is an unknown email
   * told apart, as USER_NOT_FOUND.
   */
  async login(email: string, password: string, options: { revealUnknownEmail?: boolean } = {}): Promise<TokenPair> {
    const account = normalizeEmail(email)
    this.throttle.begin(account)
    const user = this.users.findByEmail(account)
    let valid: boolean
    if (user?.passwordHash) valid = await verifyPassword(user.passwordHash, password)
    else valid = await burnVerification(password)
    if (!user && options.revealUnknownEmail) throw new DomainError('USER_NOT_FOUND', 'User not found')
    if (!user || !valid || !user.isActive) throw new DomainError('INVALID_CREDENTIALS', 'Incorrect email or password')
    this.throttle.succeeded(account)
    const familyId = newId()
    this.db.insert(refreshTokenFamilies).values({ id: familyId, userId: user.id, createdAt: nowIso() }).run()
    return this.issue(user, familyId)
  }

  /**
   * A new session for a user who proved themself another way (a browser sign-in with a provider):
   * the same tokens a password login gives.
   */
  startSession(userId: string): TokenPair {
    const user = this.users.findById(userId)
    if (!user?.isActive) throw new DomainError('INVALID_TOKEN', 'Invalid or expired credentials')
    const familyId = newId()
    this.db.insert(refreshTokenFamilies).values({ id: familyId, userId: user.id, createdAt: nowIso() }).run()
    return this.issue(user, familyId)
  }

  /**
   * Exchanges a refresh token for a new pair. Each token works once: presenting a used one means
   * it was stolen or replayed, so the whole family (every token of that login) is revoked, unless
   * it is a retry within REFRESH_REUSE_GRACE_MS of the exchange and the token it was exchanged for
   * is still unused: then the retry gets a sibling pair of the same session.
   */
  refresh(refreshToken: string): TokenPair {
    const hash = sha256(refreshToken)
    const outcome = this.uow.run((w) => {
      const { tx } = w
      const row = tx
        .select({ token: refreshTokens, family: refreshTokenFamilies })
        .from(refreshTokens)
        .innerJoin(refreshTokenFamilies, eq(refreshTokens.familyId, refreshTokenFamilies.id))
        .where(eq(refreshTokens.tokenHash, hash))
        .get()
      if (!row || row.family.revokedAt) return { error: 'invalid' as const }
      const { token, family } = row
      if (token.usedAt) {
        const withinGrace = Date.now() - Date.parse(token.usedAt) <= REFRESH_REUSE_GRACE_MS
        // A token of the family exchanged after this one: the session has moved on without it.
        const movedOn = tx
          .select({ id: refreshTokens.id })
          .from(refreshTokens)
          .where(
            and(
              eq(refreshTokens.familyId, family.id),
              ne(refreshTokens.id, token.id),
              isNotNull(refreshTokens.usedAt),
              gt(refreshTokens.createdAt, token.createdAt)
            )
          )
          .get()
        if (withinGrace && !movedOn) return { familyId: family.id, userId: family.userId }
        tx.update(refreshTokenFamilies).set({ revokedAt: nowIso(), revokedReason: 'reuse' }).where(eq(refreshTokenFamilies.id, family.id)).run()
        w.emit({ type: 'session.revoked', userId: family.userId, sessionId: family.id, reason: 'refresh_reuse' })
        return { error: 'reused' as const }
      }
      if (token.expiresAt <= nowIso()) return { error: 'invalid' as const }
      tx.update(refreshTokens).set({ usedAt: nowIso() }).where(eq(refreshTokens.id, token.id)).run()
      return { familyId: family.id, userId: family.userId }
    })
    if ('error' in outcome) {
      throw new DomainError(
        'INVALID_REFRESH_TOKEN',
        outcome.error === 'reused' ? 'Refresh token was already used; its session has been revoked' : 'Invalid or expired refresh token'
      )
    }
    const user = this.users.findById(outcome.userId)
    if (!user?.isActive) throw new DomainError('INVALID_REFRESH_TOKEN', 'Invalid or expired refresh token')
    return this.issue(user, outcome.familyId)
  }

  /**
   * Ends the caller's session: its refresh-token family is revoked, access tokens of it stop
   * working and its open sockets are closed (`session.revoked`). A refresh token sent along ends
   * its session too, when it is the caller's.
   */
  logout(p: Principal, refreshToken?: string): void {
    this.uow.run((w) => {
      const { tx } = w
      const sessions = new Set<string>()
      if (p.sessionId) sessions.add(p.sessionId)
      if (refreshToken) {
        const row = tx
          .select({ familyId: refreshTokens.familyId, userId: refreshTokenFamilies.userId })
          .from(refreshTokens)
          .innerJoin(refreshTokenFamilies, eq(refreshTokens.familyId, refreshTokenFamilies.id))
          .where(eq(refreshTokens.tokenHash, sha256(refreshToken)))
          .get()
        if (row && row.userId === p.userId) sessions.add(row.familyId)
      }
      for (const sessionId of sessions) {
        const res = tx
          .update(refreshTokenFamilies)
          .set({ revokedAt: nowIso(), revokedReason: 'logout' })
          .where(and(eq(refreshTokenFamilies.id, sessionId), isNull(refreshTokenFamilies.revokedAt)))
          .run()
        if (res.changes > 0) w.emit({ type: 'session.revoked', userId: p.userId, sessionId, reason: 'logout' })
      }
    })
  }

  /**
   * Resolves a bearer credential (an access token or an API key) to a principal, checking that the
   * user still exists and is active and that the session was not revoked.
   */
  authenticate(credential: string): Principal {
    if (this.apiKeys.looksLikeKey(credential)) {
      const key = this.apiKeys.resolve(credential)
      const user = key && this.users.findById(key.userId)
      if (!key || !user?.isActive) throw new DomainError('INVALID_TOKEN', 'Invalid or revoked API key')
      return { userId: user.id, role: user.role, via: 'api_key', apiKeyId: key.id }
    }
    const token = this.verifiedAccessToken(credential)
    if (!token) throw new DomainError('INVALID_TOKEN', 'Invalid or expired access token')
    const session = this.session(token.sid)
    if (!session || session.revokedAt || session.userId !== token.sub) {
      throw new DomainError('INVALID_TOKEN', 'Session has ended; sign in again')
    }
    const user = this.users.findById(token.sub)
    if (!user?.isActive) throw new DomainError('INVALID_TOKEN', 'Invalid or expired access token')
    return { userId: user.id, role: user.role, via: 'access_token', sessionId: token.sid }
  }

  /**
   * The claims of an access token whose signature, issuer, audience and expiry hold, or undefined.
   * A token verified before is not verified again until it expires. It says nothing of whether
   * its session or user is still live (`authenticate` checks that).
   */
  verifiedAccessToken(credential: string): VerifiedAccessToken | undefined {
    const now = Date.now()
    const cached = this.cache?.tokens.get(credential, now)
    if (cached) return cached
    let claims: Record<string, unknown>
    try {
      claims = this.signer.verify(credential)
    } catch {
      return undefined
    }
    const { typ, sub, sid, exp } = claims
    if (typ !== 'access' || typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') return undefined
    const token: VerifiedAccessToken = { sub, sid, expiresAt: exp * 1000 }
    this.cache?.tokens.set(credential, token, token.expiresAt, now)
    return token
  }

  /** A session's owner and revocation, read through the cache. */
  private session(id: string): SessionState | undefined {
    const cached = this.cache?.sessions.get(id)
    if (cached) return cached
    const row = this.sessionById.get({ id })
    if (row && this.cache && !inTransaction(this.db)) this.cache.sessions.set(id, row)
    return row
  }

  /**
   * The principal of a user who proved themself another way (a WebSocket ticket), carrying the
   * session or API key the proof was issued under, so revoking that revokes this too.
   */
  principalForUser(userId: string, via: Principal['via'], issuedUnder: Pick<Principal, 'sessionId' | 'apiKeyId'> = {}): Principal {
    const user = this.users.findById(userId)
    if (!user?.isActive) throw new DomainError('INVALID_TOKEN', 'Invalid or expired credentials')
    if (issuedUnder.sessionId && this.session(issuedUnder.sessionId)?.revokedAt) {
      throw new DomainError('INVALID_TOKEN', 'Session has ended; sign in again')
    }
    if (issuedUnder.apiKeyId && !this.apiKeys.isLive(issuedUnder.apiKeyId)) throw new DomainError('INVALID_TOKEN', 'Invalid or revoked API key')
    return {
      userId: user.id,
      role: user.role,
      via,
      ...(issuedUnder.sessionId ? { sessionId: issuedUnder.sessionId } : {}),
      ...(issuedUnder.apiKeyId ? { apiKeyId: issuedUnder.apiKeyId } : {})
    }
  }

  private issue(user: Readonly<UserRow>, familyId: string): TokenPair {
    const refresh = randomToken('rt_')
    this.db
      .insert(refreshTokens)
      .values({
        id: newId(),
        familyId,
        tokenHash: sha256(refresh),
        createdAt: nowIso(),
        expiresAt: isoIn(REFRESH_TOKEN_TTL_MS)
      })
      .run()
    return {
      access_token: this.signer.sign({ sub: user.id, role: user.role, sid: familyId, typ: 'access' }),
      refresh_token: refresh,
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_TTL_SECONDS
    }
  }
}
