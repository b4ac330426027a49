import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { DomainError } from '../domain/errors.js'
import type { Principal } from '../domain/principal.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyInstance {
    /** onRequest hook: resolves `Authorization: Bearer <access token | API key>` to `request.principal`. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
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

/** The principal of an authenticated request; use in handlers behind `authenticate`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('UNAUTHORIZED', 'Not authenticated')
  return request.principal
}

export default fp(
  async (app) => {
    app.decorateRequest('principal', null)
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = bearerToken(request)
      if (!token) throw new DomainError('UNAUTHORIZED', 'Not authenticated: send Authorization: Bearer <token>')
      request.principal = app.services.auth.authenticate(token)
    })
  },
  { name: 'auth', dependencies: ['services'] }
)
