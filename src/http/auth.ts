import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { DomainError } from '../domain/errors.js'
import type { Principal } from '../domain/principal.js'
import { ACCESS_COOKIE, checkCsrf } from './cookies.js'
import type { AuthStrategy } from './surface.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
}

/** The bearer credential of a request, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw new DomainError('UNAUTHORIZED', 'Authorization header must be "Bearer <token>"')
  return match[1]
}

/** The principal of an authenticated request; use in handlers of routes with `auth: 'required'`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('UNAUTHORIZED', 'Not authenticated')
  return request.principal
}

/**
 * `Authorization: Bearer <access token | API key>`, resolved to `request.principal` by the domain's
 * AuthService. The strategy of every surface whose callers hold our tokens.
 */
export const bearerAuth: AuthStrategy = {
  scheme: 'bearerAuth',
  securityScheme: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or API key', description: 'An access token or an API key.' },
  authenticate(request, mode) {
    const token = bearerToken(request)
    if (!token) {
      if (mode === 'optional') return
      throw new DomainError('UNAUTHORIZED', 'Not authenticated: send Authorization: Bearer <token>')
    }
    request.principal = request.server.services.auth.authenticate(token)
  }
}

/**
 * v1's strategy: the bearer header, or else the `access_token` cookie a browser sign-in set. A
 * cookie-authenticated unsafe request must also pass the CSRF check (`X-CSRF-Token` equal to the
 * `csrf_token` cookie, and an allowed `Origin` when one is sent); a bearer one needs nothing more.
 */
export const bearerOrCookieAuth: AuthStrategy = {
  ...bearerAuth,
  alternatives: [
    {
      scheme: 'cookieAuth',
      securityScheme: {
        type: 'apiKey',
        in: 'cookie',
        name: ACCESS_COOKIE,
        description:
          'The access token in the HttpOnly `access_token` cookie set by browser sign-in. A cookie-authenticated ' +
          'POST, PUT, PATCH or DELETE must send `X-CSRF-Token` equal to the `csrf_token` cookie and, when it sends ' +
          "`Origin`, one that is the service's own or listed in `CORS_ORIGINS`; otherwise it is refused with 403."
      }
    }
  ],
  unsafeMethodStatuses: [403],
  authenticate(request, mode) {
    const cookie = request.headers.authorization ? undefined : request.cookies[ACCESS_COOKIE]
    if (!cookie) return bearerAuth.authenticate(request, mode)
    request.principal = request.server.services.auth.authenticate(cookie)
    checkCsrf(request)
  }
}

/** Every request starts without a principal; a surface's auth strategy sets it. */
export default fp(
  async (app) => {
    app.decorateRequest('principal', null)
  },
  { name: 'auth', dependencies: ['services', '@fastify/cookie'] }
)
