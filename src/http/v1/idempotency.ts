import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler, RouteOptions } from 'fastify'
import { IdempotencyHeaders } from '../../../schemas/conversations.js'
import { DomainError } from '../../domain/errors.js'
import { IdempotencyService, requestHash } from '../../domain/idempotency.js'
import { principalOf } from '../auth.js'

const HEADER = 'idempotency-key'
const kScope = Symbol('idempotencyScope')

interface Pending {
  userId: string
  scope: string
  key: string
  hash: string
}

function keyOf(request: FastifyRequest): string | undefined {
  const key = request.headers[HEADER]
  return typeof key === 'string' && key.length > 0 ? key : undefined
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

/**
 * `Idempotency-Key` on v1's creating POSTs. A route declares `config.idempotency: 'stored'` to
 * have its first successful answer kept (a day) and replayed, with `Idempotent-Replayed: true`,
 * to a retry by the same caller with the same key and body; the same key with another body is a
 * 409. POSTs that declare nothing (sign-in, secrets shown once, actions) answer 400
 * `IDEMPOTENCY_NOT_SUPPORTED` when the header is sent, so a client never believes a retry is safe
 * when it is not.
 */
export function idempotentPosts(app: FastifyInstance): void {
  const service = new IdempotencyService(app.database.db)

  const refuse: preHandlerHookHandler = async (request) => {
    if (keyOf(request) !== undefined) {
      throw new DomainError('IDEMPOTENCY_NOT_SUPPORTED', `${request.method} ${request.routeOptions.url} does not take an Idempotency-Key`)
    }
  }

  const replay: preHandlerHookHandler = async (request, reply) => {
    const key = keyOf(request)
    if (key === undefined) return
    const userId = principalOf(request).userId
    const scope = `${request.method} ${request.routeOptions.url} ${JSON.stringify(request.params ?? {})}`
    const hash = requestHash(request.body)
    const stored = service.lookup(service.db, userId, scope, key, hash)
    if (stored) {
      return reply.code(stored.statusCode).header('idempotent-replayed', 'true').send(stored.body)
    }
    ;(request as unknown as Record<symbol, Pending>)[kScope] = { userId, scope, key, hash }
  }

  const remember = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const pending = (request as unknown as Record<symbol, Pending | undefined>)[kScope]
    if (!pending || reply.statusCode < 200 || reply.statusCode >= 300 || typeof payload !== 'string') return payload
    service.remember(pending.userId, pending.scope, pending.key, pending.hash, { statusCode: reply.statusCode, body: JSON.parse(payload) })
    return payload
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    if (!asArray(route.method).includes('POST')) return
    const mode = route.config?.idempotency
    if (mode === 'domain') return
    if (mode !== 'stored') {
      route.preHandler = [refuse, ...asArray(route.preHandler)]
      return
    }
    route.schema ??= {}
    const schema = route.schema as { headers?: unknown }
    schema.headers ??= IdempotencyHeaders
    route.preHandler = [replay, ...asArray(route.preHandler)]
    route.onSend = [...asArray(route.onSend), remember]
  })
}
