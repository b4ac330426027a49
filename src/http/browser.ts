import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** The methods routes are served under; a browser's preflight is granted each of them. */
export const ROUTED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/**
 * Response headers a script on another origin may read: the request id to quote, the rate-limit
 * state and when to retry, whether an idempotent answer was replayed, where a created resource
 * lives, a download's validator and name, and which run and model answered an audio request.
 */
export const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'idempotent-replayed',
  'location',
  'etag',
  'content-disposition',
  'x-run-id',
  'x-model'
]

/** `CORS_ORIGINS` as @fastify/cors (and Socket.IO) take it: any origin, a list, or none. */
export function corsOrigin(origins: string[]): boolean | string[] {
  return origins.includes('*') ? true : origins.length ? origins : false
}

/** `Strict-Transport-Security` as helmet sends it by default: a year, subdomains included. */
const HSTS = 'max-age=31536000; includeSubDomains'

/**
 * What a browser is told and allowed: helmet's security headers, and CORS for the origins in
 * `CORS_ORIGINS` on every method a route is served under.
 *
 * `upgrade-insecure-requests` and HSTS only make sense where the service is reached over https:
 * over plain http (a LAN address, a container's host name) the first would have the browser fetch
 * the page's own scripts over https and fail, and the second is ignored anyway. So both are added
 * only to responses of requests that came over https, directly or through a trusted proxy's
 * `X-Forwarded-Proto` (`request.protocol`).
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
      strictTransportSecurity: false
    })
    // Registered after helmet, so it runs after helmet has set its headers.
    app.addHook('onRequest', async (request, reply) => {
      if (request.protocol !== 'https') return
      reply.raw.setHeader('strict-transport-security', HSTS)
      const csp = reply.raw.getHeader('content-security-policy')
      if (typeof csp === 'string') reply.raw.setHeader('content-security-policy', `${csp};upgrade-insecure-requests`)
    })
    await app.register(cors, {
      origin: corsOrigin(app.config.corsOrigins),
      credentials: true,
      methods: ['HEAD', ...ROUTED_METHODS],
      exposedHeaders: EXPOSED_HEADERS,
      // A preflight is answered for a day; browsers cap it lower (Chromium: 2 hours).
      maxAge: 86_400
    })
  },
  { name: 'browser-policy' }
)

/**
 * The content security policy of the Swagger UI pages: helmet's defaults, with the hashes of the
 * page's inline scripts and styles that @fastify/swagger-ui publishes, and its validator badge.
 * Swagger UI's bundle evaluates strings on some paths (its polyfills' `Function(...)` probes, met
 * now and then while switching documents), which `script-src` refuses with an uncaught error
 * unless `'unsafe-eval'` is allowed: allowed here, on the docs pages only, never on the API.
 */
export function docsContentSecurityPolicy(hashes: { script: string[]; style: string[] }) {
  return {
    directives: {
      scriptSrc: ["'self'", "'unsafe-eval'", ...hashes.script],
      styleSrc: ["'self'", 'https:', ...hashes.style],
      imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
      upgradeInsecureRequests: null
    }
  }
}
