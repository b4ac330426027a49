import rateLimit from '@fastify/rate-limit'
import LocalStoreModule from '@fastify/rate-limit/store/LocalStore.js'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { RateLimitClass } from './surface.js'

type IncrCallback = (err: Error | null, res?: { current: number; ttl: number }) => void
interface StoreLike {
  incr(key: string, cb: IncrCallback, timeWindow: number, max: number): void
  child(routeOptions: unknown): StoreLike
}
const LocalStore = LocalStoreModule as unknown as new (continueExceeding?: boolean, exponentialBackoff?: boolean, cache?: number) => StoreLike

/**
 * @fastify/rate-limit's LocalStore hands every caller the same mutable counter object, and the
 * plugin reads it a microtask later: in a concurrent burst each request then sees the final count
 * and all of them are refused. This store gives each caller a snapshot, so exactly `max` pass.
 */
class SnapshotStore implements StoreLike {
  private readonly inner: StoreLike
  constructor(options: { continueExceeding?: boolean; exponentialBackoff?: boolean } | StoreLike = {}) {
    this.inner =
      'incr' in options
        ? options
        : new LocalStore((options as { continueExceeding?: boolean }).continueExceeding, (options as { exponentialBackoff?: boolean }).exponentialBackoff, 5000)
  }
  incr(key: string, cb: IncrCallback, timeWindow: number, max: number): void {
    this.inner.incr(key, (err, res) => cb(err, res && { current: res.current, ttl: res.ttl }), timeWindow, max)
  }
  child(routeOptions: unknown): StoreLike {
    return new SnapshotStore(this.inner.child(routeOptions))
  }
}

/** The bucket a request counts against, as its route declares (`config.rateLimitClass`); the API's by default. */
function classOf(request: FastifyRequest): RateLimitClass {
  return request.routeOptions.config?.rateLimitClass ?? 'api'
}

/**
 * Rate limits with @fastify/rate-limit: `RATE_LIMIT_MAX` requests a minute per user (or IP when the
 * caller is anonymous) on the API, `RATE_LIMIT_AUTH_MAX` a minute per IP on the authentication
 * routes, each in its own bucket; 0 turns a limit off. A refused request is a 429 in the surface's
 * error body with `Retry-After` and `x-ratelimit-*` headers (the error handler keeps them).
 * Each surface documents the 429 on its rate-limited routes.
 */
export default fp(
  async (app) => {
    const apiMax = app.config.rateLimitMax
    const authMax = app.config.rateLimitAuthMax

    if (apiMax === 0 && authMax === 0) return

    /** The user of a bearer credential when it can be told without much work, else undefined. */
    const userOf = (request: FastifyRequest): string | undefined => {
      if (request.principal) return request.principal.userId
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
      if (!match) return undefined
      const credential = match[1]
      if (!credential) return undefined
      if (app.services.apiKeys.looksLikeKey(credential)) return app.services.apiKeys.ownerOf(credential)
      return app.services.auth.verifiedAccessToken(credential)?.sub
    }

    await app.register(rateLimit, {
      global: true,
      timeWindow: 60_000,
      store: SnapshotStore as never,
      keyGenerator: (request) => {
        if (classOf(request) === 'auth') return `auth:${request.ip}`
        const user = userOf(request)
        return user ? `user:${user}` : `ip:${request.ip}`
      },
      max: (_request, key) => (key.startsWith('auth:') ? authMax : apiMax),
      allowList: (request) => {
        const cls = classOf(request)
        return cls === 'none' || (cls === 'auth' ? authMax === 0 : apiMax === 0)
      },
      errorResponseBuilder: (_request, context) =>
        Object.assign(new Error(`Rate limit exceeded: at most ${context.max} requests a minute; retry in ${context.after}`), {
          statusCode: context.statusCode
        })
    })
  },
  { name: 'rate-limit', dependencies: ['services'] }
)
