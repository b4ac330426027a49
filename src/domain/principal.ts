/** Who is making a request, as the domain sees it. */
export interface Principal {
  userId: string
  role: 'admin' | 'user'
  /** How the caller proved who they are. */
  via: 'access_token' | 'api_key' | 'ws_ticket' | 'chat_secret'
  /** The refresh-token family (session) an access token belongs to. */
  sessionId?: string
}

export function isAdmin(p: Principal): boolean {
  return p.role === 'admin'
}
