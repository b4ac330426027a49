import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { DomainError } from '../../domain/errors.js'
import type { AuthStrategy } from '../surface.js'

export const AUTH_REQUIRED = 'Authentication required. Provide valid authKey.'

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

/**
 * Whether `given` is the terminal key, in constant time: both are hashed first, so neither the
 * length nor a common prefix shows in the timing. Without a configured key nothing matches.
 */
export function isTerminalKey(given: unknown, key: string | undefined): boolean {
  if (!key || typeof given !== 'string' || given.length === 0) return false
  return timingSafeEqual(digest(given), digest(key))
}

function unauthorized(): DomainError {
  return new DomainError('UNAUTHORIZED', AUTH_REQUIRED)
}

/** The key a request carries in `?authKey=` or `Authorization: Bearer`, or undefined. */
function keyOutsideBody(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined
  const fromQuery = query?.authKey
  if (typeof fromQuery === 'string') return fromQuery
  if (Array.isArray(fromQuery)) throw unauthorized()
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (!match) throw unauthorized()
  return match[1]
}

/** Requests whose key can only be in the body, which is not parsed yet when the auth hook runs. */
const keyInBody = new WeakSet<FastifyRequest>()

/**
 * The dispatch surface's auth: the server's `TERMINAL_KEY` as `?authKey=`, `Authorization: Bearer`
 * or an `authKey` field of a JSON body. Without a configured key every call is refused.
 *
 * The key in the query or the header is checked at once, when the request arrives. A request
 * with a JSON body and neither is let through to `checkBodyKey`, which runs once the body is
 * parsed and before it is validated: so authentication still comes before validation, and an
 * unauthenticated caller learns nothing about a route's schema (only whether its JSON parses).
 */
export const terminalKeyAuth: AuthStrategy = {
  scheme: 'terminalKey',
  securityScheme: {
    type: 'http',
    scheme: 'bearer',
    description: "The server's `TERMINAL_KEY`, as `Authorization: Bearer <key>`, as the query parameter `authKey`, or as the field `authKey` of a JSON body."
  },
  authenticate(request, mode) {
    const key = request.server.config.terminalKey
    const given = keyOutsideBody(request)
    if (given !== undefined) {
      if (!isTerminalKey(given, key)) throw unauthorized()
      return
    }
    if (mode === 'optional') return
    const json = /^application\/json\b/i.test(request.headers['content-type'] ?? '')
    if (key && json && (request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH')) {
      keyInBody.add(request)
      return
    }
    throw unauthorized()
  }
}

/** The `preValidation` hook of the dispatch surface: checks a key that came in the body. */
export async function checkBodyKey(request: FastifyRequest): Promise<void> {
  if (!keyInBody.delete(request)) return
  const body = request.body as Record<string, unknown> | null | undefined
  if (!isTerminalKey(body?.authKey, request.server.config.terminalKey)) throw unauthorized()
}
