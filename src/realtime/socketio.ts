import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import { fastifyCookie } from '@fastify/cookie'
import { Server, type ServerOptions, type Socket } from 'socket.io'
import type { AuthService } from '../domain/auth.js'
import { isDomainError } from '../domain/errors.js'
import type { EventSubscriptions } from '../domain/events.js'
import type { Principal } from '../domain/principal.js'
import { revokes } from '../domain/revocation.js'

export const SOCKET_IO_PATH = '/socket.io'

/** The cookie a browser sign-in sets with the access token (HttpOnly). */
const ACCESS_COOKIE = 'access_token'

/** The error event a socket gets before it is disconnected because its credentials were revoked. */
export const REVOKED_CODE = 'CREDENTIALS_REVOKED'

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

function onPath(path: string, url: string | undefined): boolean {
  return url !== undefined && (url === path || url.startsWith(`${path}/`) || url.startsWith(`${path}?`))
}

/**
 * One Socket.IO server at `/socket.io` (under `BASE_PATH` when set: give `path`) on the app's HTTP server, beside the native WebSocket
 * routes. Surfaces add their namespaces to it (`io.of('/chat')`, ...); each namespace authenticates
 * in its own `use` middleware, so a refused credential is a `connect_error` at the handshake.
 *
 * Both Socket.IO and @fastify/websocket listen for HTTP upgrades. @fastify/websocket routes every
 * upgrade through Fastify, where a Socket.IO path is a 404 written onto the socket Socket.IO is
 * upgrading; so the upgrade listeners already on the server (@fastify/websocket's) are given only
 * the upgrades that are not Socket.IO's.
 */
export function attachSocketIo(server: HttpServer, options: Partial<ServerOptions> = {}): { io: Server; close(): Promise<void> } {
  const others = server.listeners('upgrade') as UpgradeListener[]
  for (const listener of others) server.removeListener('upgrade', listener)
  const path = options.path ?? SOCKET_IO_PATH
  const io = new Server(server, { serveClient: false, destroyUpgrade: false, ...options, path })
  const dispatch: UpgradeListener = (request, socket, head) => {
    if (onPath(path, request.url)) return
    for (const listener of others) listener.call(server, request, socket, head)
  }
  server.on('upgrade', dispatch)
  return {
    io,
    close: () =>
      new Promise<void>((resolve) => {
        server.removeListener('upgrade', dispatch)
        // io.close() would close the HTTP server too; Fastify does that. Disconnect the sockets only.
        io.disconnectSockets(true)
        for (const nsp of io._nsps.values()) nsp.disconnectSockets(true)
        io.engine.close()
        resolve()
      })
  }
}

/** A refusal at the handshake: the client's `connect_error` has the message and `data.code`. */
export function refusal(code: string, message: string): Error {
  return Object.assign(new Error(message), { data: { code } })
}

export interface HandshakeAuthOptions {
  auth: Pick<AuthService, 'authenticate'>
  /**
   * Origins whose pages may connect with the `access_token` cookie, besides the service's own
   * host: `BASE_URL`'s and `CORS_ORIGINS`.
   */
  cookieOrigins: readonly string[]
}

/** Whether a handshake's `Origin` (when it sends one) may use the cookie: the page is ours or allowed. */
function originAllowed(socket: Socket, allowed: readonly string[]): boolean {
  const origin = socket.handshake.headers.origin
  if (origin === undefined) return true
  if (allowed.includes(origin)) return true
  try {
    return new URL(origin).host === socket.handshake.headers.host
  } catch {
    return false
  }
}

/**
 * Socket.IO middleware for the namespaces whose callers hold our tokens: the credential is
 * `auth: {token}`, else an `Authorization: Bearer` header, else the `access_token` cookie of a
 * browser sign-in (from an allowed page only, so another site cannot open a socket with the
 * user's cookie). It is checked as on HTTP routes (an access token of a live session, or an API
 * key) and the user is kept in `socket.data.principal`; otherwise the connection is refused with
 * a `connect_error` whose `data.code` says why.
 */
export function authenticateHandshake(options: HandshakeAuthOptions) {
  return (socket: Socket, next: (err?: Error) => void) => {
    let token: string | undefined
    const given: unknown = socket.handshake.auth?.token
    const header = socket.handshake.headers.authorization
    if (typeof given === 'string' && given !== '') token = given
    else if (header) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
      if (!match) return next(refusal('UNAUTHORIZED', 'Authorization header must be "Bearer <token>"'))
      token = match[1]
    } else {
      const cookies = socket.handshake.headers.cookie
      token = cookies ? fastifyCookie.parse(cookies)[ACCESS_COOKIE] : undefined
      if (token && !originAllowed(socket, options.cookieOrigins)) {
        return next(refusal('CSRF_REJECTED', `Origin ${socket.handshake.headers.origin} may not connect with the access_token cookie`))
      }
    }
    if (!token) return next(refusal('UNAUTHORIZED', 'Missing credentials: connect with auth: {token}, a bearer header or the access_token cookie'))
    try {
      socket.data.principal = options.auth.authenticate(token)
      next()
    } catch (err) {
      if (isDomainError(err)) return next(refusal(err.code, err.message))
      next(err as Error)
    }
  }
}

/**
 * Revoked means gone everywhere: when an event takes credentials away (logout, a replayed refresh
 * token, a password change, a user disabled or deleted, an API key deleted), every Socket.IO
 * socket, in every namespace, whose `socket.data.principal` it revokes gets an `error`
 * `{code: "CREDENTIALS_REVOKED", message}` and is disconnected. Returns a function that stops it.
 */
export function disconnectRevoked(io: Server, events: EventSubscriptions): () => void {
  return events.subscribe((e) => {
    if (e.type !== 'session.revoked' && e.type !== 'user.sessions_revoked' && e.type !== 'api_key.revoked') return
    for (const nsp of io._nsps.values()) {
      for (const socket of [...nsp.sockets.values()]) {
        const principal = socket.data?.principal as Principal | undefined
        if (!principal || principal.userId !== e.userId || !revokes(e, principal)) continue
        socket.emit('error', { code: REVOKED_CODE, message: 'The credentials this socket signed in with were revoked; sign in again' })
        socket.disconnect()
      }
    }
  })
}
