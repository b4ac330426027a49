import { DomainError } from './errors.js'

/** Who is making a request, as the domain sees it. */
export interface Principal {
  userId: string
  role: 'admin' | 'user'
  /** How the caller proved who they are. */
  via: 'access_token' | 'api_key' | 'ws_ticket'
  /** The refresh-token family (session) an access token belongs to. */
  sessionId?: string
}

export function isAdmin(p: Principal): boolean {
  return p.role === 'admin'
}

/** Refuses a request that claims to act for another user than the caller (a `sender_id` that is not theirs). */
export function assertActsAs(p: Principal, userId: string): void {
  if (p.userId !== userId) throw new DomainError('FORBIDDEN', 'You can only act as yourself: sender_id must be your own user id')
}
