import { and, eq, isNull, ne, sql } from 'drizzle-orm'
import type { Db } from '../db/index.js'
import { refreshTokenFamilies, refreshTokens, users } from '../db/schema.js'
import { isoIn, newId, nowIso } from './clock.js'
import { randomToken, sha256 } from './crypto.js'
import { DomainError } from './errors.js'
import { SYSTEM_OWNER_ID } from './system-owner.js'
import { burnVerification, hashPassword, verifyPassword } from './passwords.js'
import type { Principal } from './principal.js'
import { normalizeEmail, type UserRow, type UserService, userView, type UserView } from './users.js'
import type { ApiKeyService } from './api-keys.js'
import type { UnitOfWork } from './unit-of-work.js'

export const ACCESS_TOKEN_TTL_SECONDS = 1800
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000

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
    private readonly uow: UnitOfWork
  ) {
    this.sessionById = db
      .select({ revokedAt: refreshTokenFamilies.revokedAt, userId: refreshTokenFamilies.userId })
      .from(refreshTokenFamilies)
      .where(eq(refreshTokenFamilies.id, sql.placeholder('id')))
      .prepare()
  }

  /** Creates an account. The first account registered is an admin. */
  async register(input: RegisterInput): Promise<UserView> {
    const emailNormalized = normalizeEmail(input.email)
    if (this.users.findByEmail(emailNormalized)) {
      throw new DomainError('EMAIL_TAKEN', 'A user with this email already exists')
    }
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
      const user = userView(row)
      w.emit({ type: 'user.created', userId: row.id, user })
      return user
    })
  }

  async login(email: string, password: string): Promise<TokenPair> {
    const user = this.users.findByEmail(email)
    if (!user?.passwordHash) {
      await burnVerification(password)
      throw new DomainError('INVALID_CREDENTIALS', 'Incorrect email or password')
    }
    if (!(await verifyPassword(user.passwordHash, password))) {
      throw new DomainError('INVALID_CREDENTIALS', 'Incorrect email or password')
    }
    if (!user.isActive) throw new DomainError('ACCOUNT_DISABLED', 'This account is disabled')
    const familyId = newId()
    this.db.insert(refreshTokenFamilies).values({ id: familyId, userId: user.id, createdAt: nowIso() }).run()
    return this.issue(user, familyId)
  }

  /**
   * Exchanges a refresh token for a new pair. Each token works once: presenting a used one means
   * it was stolen or replayed, so the whole family (every token of that login) is revoked.
   */
  refresh(refreshToken: string): TokenPair {
    const hash = sha256(refreshToken)
    const outcome = this.uow.run(({ tx }) => {
      const row = tx
        .select({ token: refreshTokens, family: refreshTokenFamilies })
        .from(refreshTokens)
        .innerJoin(refreshTokenFamilies, eq(refreshTokens.familyId, refreshTokenFamilies.id))
        .where(eq(refreshTokens.tokenHash, hash))
        .get()
      if (!row || row.family.revokedAt) return { error: 'invalid' as const }
      if (row.token.usedAt) {
        tx.update(refreshTokenFamilies).set({ revokedAt: nowIso(), revokedReason: 'reuse' }).where(eq(refreshTokenFamilies.id, row.family.id)).run()
        return { error: 'reused' as const }
      }
      if (row.token.expiresAt <= nowIso()) return { error: 'invalid' as const }
      tx.update(refreshTokens).set({ usedAt: nowIso() }).where(eq(refreshTokens.id, row.token.id)).run()
      return { familyId: row.family.id, userId: row.family.userId }
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

  /** Ends the caller's session: its refresh-token family is revoked, and access tokens of it stop working. */
  logout(p: Principal, refreshToken?: string): void {
    const now = nowIso()
    if (p.sessionId) {
      this.db
        .update(refreshTokenFamilies)
        .set({ revokedAt: now, revokedReason: 'logout' })
        .where(and(eq(refreshTokenFamilies.id, p.sessionId), isNull(refreshTokenFamilies.revokedAt)))
        .run()
    }
    if (refreshToken) {
      const row = this.db
        .select({ familyId: refreshTokens.familyId, userId: refreshTokenFamilies.userId })
        .from(refreshTokens)
        .innerJoin(refreshTokenFamilies, eq(refreshTokens.familyId, refreshTokenFamilies.id))
        .where(eq(refreshTokens.tokenHash, sha256(refreshToken)))
        .get()
      if (row && row.userId === p.userId) {
        this.db
          .update(refreshTokenFamilies)
          .set({ revokedAt: now, revokedReason: 'logout' })
          .where(and(eq(refreshTokenFamilies.id, row.familyId), isNull(refreshTokenFamilies.revokedAt)))
          .run()
      }
    }
  }

  /**
   * Resolves a bearer credential (an access token or an API key) to a principal, checking that the
   * user still exists and is active and that the session was not revoked.
   */
  authenticate(credential: string): Principal {
    if (this.apiKeys.looksLikeKey(credential)) {
      const key = this.apiKeys.resolve(credential)
      const user = key && this.users.findById(key.userId)
      if (!user?.isActive) throw new DomainError('INVALID_TOKEN', 'Invalid or revoked API key')
      return { userId: user.id, role: user.role, via: 'api_key' }
    }
    let claims: Record<string, unknown>
    try {
      claims = this.signer.verify(credential)
    } catch {
      throw new DomainError('INVALID_TOKEN', 'Invalid or expired access token')
    }
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') {
      throw new DomainError('INVALID_TOKEN', 'Invalid or expired access token')
    }
    const family = this.sessionById.get({ id: claims.sid })
    if (!family || family.revokedAt || family.userId !== claims.sub) {
      throw new DomainError('INVALID_TOKEN', 'Session has ended; sign in again')
    }
    const user = this.users.findById(claims.sub)
    if (!user?.isActive) throw new DomainError('INVALID_TOKEN', 'Invalid or expired access token')
    return { userId: user.id, role: user.role, via: 'access_token', sessionId: claims.sid }
  }

  /** The principal of a user who proved themself another way (a WebSocket ticket). */
  principalForUser(userId: string, via: Principal['via']): Principal {
    const user = this.users.findById(userId)
    if (!user?.isActive) throw new DomainError('INVALID_TOKEN', 'Invalid or expired credentials')
    return { userId: user.id, role: user.role, via }
  }

  private issue(user: UserRow, familyId: string): TokenPair {
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
