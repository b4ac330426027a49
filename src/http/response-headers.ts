import type { FastifyReply, FastifyRequest } from 'fastify'

/** What a route's declaration says about the headers its answers carry. */
export interface HeaderFacts {
  /** Counted against a rate limit: every answer carries `x-ratelimit-*`. */
  rateLimited: boolean
  /** Honours `Idempotency-Key`: a replayed answer says so with `Idempotent-Replayed`. */
  idempotent: boolean
}

/**
 * The response headers the service sends, as OpenAPI header components. Each surface's document
 * gets the ones its operations use, referred to from each response that carries them.
 */
const HEADERS = {
  RequestId: {
    name: 'x-request-id',
    header: {
      description:
        'The id of this request, as the service logs it: quote it when reporting a problem. A request that sends its own ' +
        '`X-Request-Id` (letters, digits, `_.:-`, at most 128) gets it back.',
      schema: { type: 'string' }
    }
  },
  RateLimitLimit: {
    name: 'x-ratelimit-limit',
    header: {
      description: 'Requests this caller may make in the current minute to this group of routes (when rate limiting is on).',
      schema: { type: 'integer' }
    }
  },
  RateLimitRemaining: {
    name: 'x-ratelimit-remaining',
    header: { description: 'Requests left in the current minute (when rate limiting is on).', schema: { type: 'integer' } }
  },
  RateLimitReset: {
    name: 'x-ratelimit-reset',
    header: { description: 'Seconds until the current window ends and the count starts again (when rate limiting is on).', schema: { type: 'integer' } }
  },
  RetryAfter: {
    name: 'Retry-After',
    header: {
      description:
        'Seconds to wait before trying again: sent with a refusal by the rate limit or the sign-in lock, and passed on from a model provider that gave one.',
      schema: { type: 'integer' }
    }
  },
  IdempotentReplayed: {
    name: 'Idempotent-Replayed',
    header: {
      description: '`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`: nothing new was made.',
      schema: { type: 'string', enum: ['true'] }
    }
  },
  Location: {
    name: 'Location',
    header: { description: 'The path of what was created (under the base path the service is served at).', schema: { type: 'string', format: 'uri-reference' } }
  }
} as const

type HeaderKey = keyof typeof HEADERS

/**
 * The headers one response of an operation carries, by the operation's facts and the status. The
 * `x-ratelimit-*` headers come with every answer of a rate-limited route; they are documented on
 * its successes and its 429, where a client reads them.
 */
function headersOf(facts: HeaderFacts | undefined, status: string): HeaderKey[] {
  const keys: HeaderKey[] = ['RequestId']
  if (facts?.rateLimited && /^(2|3|429)/.test(status)) keys.push('RateLimitLimit', 'RateLimitRemaining', 'RateLimitReset')
  if (status === '429') keys.push('RetryAfter')
  if (facts?.idempotent && status.startsWith('2')) keys.push('IdempotentReplayed')
  if (status === '201') keys.push('Location')
  return keys
}

interface ResponseObject {
  headers?: Record<string, unknown>
}
interface OperationObject {
  operationId?: string
  responses?: Record<string, ResponseObject>
}
interface DocumentLike {
  paths?: Record<string, Record<string, OperationObject>>
  components?: Record<string, unknown>
}

/**
 * Documents the response headers of every operation of a surface's document: each response refers
 * to the header components it carries, and the components it uses are added.
 */
export function documentResponseHeaders<T extends DocumentLike>(document: T, factsOf: (operationId: string) => HeaderFacts | undefined): T {
  const used = new Set<HeaderKey>()
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue
      const facts = operation.operationId ? factsOf(operation.operationId) : undefined
      for (const [status, response] of Object.entries(operation.responses)) {
        const keys = headersOf(facts, status)
        const headers: Record<string, unknown> = {}
        for (const key of keys) {
          used.add(key)
          headers[HEADERS[key].name] = { $ref: `#/components/headers/${key}` }
        }
        response.headers = { ...headers, ...response.headers }
      }
    }
  }
  if (used.size === 0) return document
  const components: Record<string, unknown> = {}
  for (const key of Object.keys(HEADERS) as HeaderKey[]) if (used.has(key)) components[key] = HEADERS[key].header
  document.components = { ...document.components, headers: components }
  return document
}

/** The `Location` of a created resource: the route's `config.location`, under the base path. */
export function locationOf(request: FastifyRequest, created: unknown): string | undefined {
  const location = request.routeOptions.config?.location as ((created: unknown, request: FastifyRequest) => string) | undefined
  if (!location || !created || typeof created !== 'object') return undefined
  return `${request.server.config.basePath}${location(created, request)}`
}

/** A `preSerialization` hook that sends `Location` with a 201, from the route's `config.location`. */
export async function sendLocation(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (reply.statusCode === 201 && !reply.hasHeader('location')) {
    const location = locationOf(request, payload)
    if (location) reply.header('location', location)
  }
  return payload
}
