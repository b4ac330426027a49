import { DomainError } from './errors.js'

/** Who is making a request, as the domain sees it. */
export interface Principal {
  userId: string
  role: 'admin' | 'user'
  /** How the caller proved who they are. */
  via: 'access_token' | 'api_key' | 'ws_ticket' | 'chat_secret'
  /** The refresh-token family (session) an access token belongs to (or the ticket was issued in). */
  sessionId?: string
  /** The API key the caller presented (or the ticket was issued with). */
  apiKeyId?: string
}

export function isAdmin(p: Principal): boolean {
  return p.role === 'admin'
}

/** Refuses a request that claims to act for another user than the caller (a `sender_id` that is not theirs). */
export function assertActsAs(p: Principal, userId: string): void {
  if (p.userId !== userId) throw new DomainError('FORBIDDEN', 'You can only act as yourself: sender_id must be your own user id')
}

/** Throws ADMIN_REQUIRED unless the caller is an admin (UNAUTHORIZED when there is no caller). */
export function requireAdmin(p: Principal | null | undefined): asserts p is Principal {
  if (!p) throw new DomainError('UNAUTHORIZED', 'Not authenticated')
  if (!isAdmin(p)) throw new DomainError('ADMIN_REQUIRED', 'Admin privileges required')
}
