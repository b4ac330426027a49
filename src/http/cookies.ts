import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_MS, type TokenPair } from '../domain/auth.js'
import { DomainError } from '../domain/errors.js'
import { publicPath } from './base-path.js'

/**
 * The cookies of a browser session. `access_token` goes with every request to the service (under
 * `BASE_PATH` when set); `refresh_token` only to the refresh route; both are HttpOnly. `csrf_token`
 * is readable by the page's scripts, which echo it in `X-CSRF-Token` on unsafe requests (double
 * submit); it is set for the whole host, so a page outside `BASE_PATH` can read it too.
 */
export const ACCESS_COOKIE = 'access_token'
export const REFRESH_COOKIE = 'refresh_token'
export const CSRF_COOKIE = 'csrf_token'
export const CSRF_HEADER = 'x-csrf-token'
export const REFRESH_PATH = '/api/v1/auth/refresh'

/** The paths the session cookies are set with (and cleared with). */
function cookiePaths(request: FastifyRequest): { access: string; refresh: string; csrf: string } {
  return { access: publicPath(request, '') || '/', refresh: publicPath(request, REFRESH_PATH), csrf: '/' }
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The origin the service is reached at: `BASE_URL`, else the request's own (trust-proxy aware). */
export function publicOrigin(request: FastifyRequest): string {
  return request.server.config.baseUrl ?? `${request.protocol}://${request.host}`
}

/** Cookies are `Secure` when the browser talks https to us: directly, through a trusted proxy, or per `BASE_URL`. */
export function isSecure(request: FastifyRequest): boolean {
  return request.protocol === 'https' || publicOrigin(request).startsWith('https:')
}

/** Sets the session cookies of a token pair; a session keeps its CSRF token across refreshes. */
export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, tokens: TokenPair): void {
  const secure = isSecure(request)
  const paths = cookiePaths(request)
  const refreshSeconds = Math.floor(REFRESH_TOKEN_TTL_MS / 1000)
  reply.setCookie(ACCESS_COOKIE, tokens.access_token, { path: paths.access, httpOnly: true, sameSite: 'lax', secure, maxAge: ACCESS_TOKEN_TTL_SECONDS })
  reply.setCookie(REFRESH_COOKIE, tokens.refresh_token, { path: paths.refresh, httpOnly: true, sameSite: 'lax', secure, maxAge: refreshSeconds })
  const csrf = request.cookies[CSRF_COOKIE] || randomBytes(32).toString('base64url')
  reply.setCookie(CSRF_COOKIE, csrf, { path: paths.csrf, httpOnly: false, sameSite: 'lax', secure, maxAge: refreshSeconds })
  reply.header('cache-control', 'no-store')
}

/** Clears the session cookies (with the paths and attributes they were set with). */
export function clearSessionCookies(request: FastifyRequest, reply: FastifyReply): void {
  const secure = isSecure(request)
  const paths = cookiePaths(request)
  reply.clearCookie(ACCESS_COOKIE, { path: paths.access, httpOnly: true, sameSite: 'lax', secure })
  reply.clearCookie(REFRESH_COOKIE, { path: paths.refresh, httpOnly: true, sameSite: 'lax', secure })
  reply.clearCookie(CSRF_COOKIE, { path: paths.csrf, sameSite: 'lax', secure })
}

/** Compares two secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The check of a cookie-authenticated request: an unsafe one (POST, PUT, PATCH, DELETE) must send
 * `X-CSRF-Token` equal to the `csrf_token` cookie and, when it sends an `Origin`, one that is the
 * service's own (`BASE_URL`, else the request's) or listed in `CORS_ORIGINS`. A page of another
 * site can neither read the cookie nor set the header, so it cannot act with the user's cookies.
 */
export function checkCsrf(request: FastifyRequest): void {
  if (!UNSAFE_METHODS.has(request.method)) return
  const origin = request.headers.origin
  if (origin !== undefined) {
    const allowed = [publicOrigin(request), ...request.server.config.corsOrigins.filter((o) => o !== '*')]
    if (!allowed.includes(origin)) throw new DomainError('CSRF_REJECTED', `Origin ${origin} may not make cookie-authenticated requests`)
  }
  const cookie = request.cookies[CSRF_COOKIE]
  const header = request.headers[CSRF_HEADER]
  if (!cookie || typeof header !== 'string' || !sameSecret(cookie, header)) {
    throw new DomainError('CSRF_REJECTED', 'Cookie-authenticated requests that change something must send X-CSRF-Token equal to the csrf_token cookie')
  }
}
