import type { IncomingMessage, ServerResponse } from 'node:http'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** helmet's options for this route's responses, over the service's own (the docs pages' CSP). */
    helmet?: HelmetOptions
  }
}

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

/** helmet's defaults, but for what only https may carry (added per request, below). */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  strictTransportSecurity: false
}

type Headers = readonly (readonly [string, string])[]

/**
 * The headers helmet sets with `options`, worked out once by running its middleware against a
 * response that only records them. None depends on the request (no CSP nonces are used), so every
 * response can be given the same list; building helmet's middleware and running it for every
 * request (as @fastify/helmet does) was about 4% of a message post's server time.
 */
export function helmetHeaders(options: HelmetOptions): Headers {
  const headers = new Map<string, string>()
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
    getHeader: (name: string) => headers.get(name.toLowerCase())
  }
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err
  })
  return [...headers]
}

/** The same headers for a request that came over https: with HSTS and `upgrade-insecure-requests`. */
function overHttps(headers: Headers): Headers {
  const upgraded = headers.map(([name, value]): [string, string] =>
    name === 'content-security-policy' ? [name, `${value};upgrade-insecure-requests`] : [name, value]
  )
  return [...upgraded, ['strict-transport-security', HSTS]]
}

/**
 * What a browser is told and allowed: helmet's security headers (a route's `config.helmet` options
 * over the service's), and CORS for the origins in `CORS_ORIGINS` on every method a route is
 * served under.
 *
 * `upgrade-insecure-requests` and HSTS only make sense where the service is reached over https:
 * over plain http (a LAN address, a container's host name) the first would have the browser fetch
 * the page's own scripts over https and fail, and the second is ignored anyway. So both are added
 * only to responses of requests that came over https, directly or through a trusted proxy's
 * `X-Forwarded-Proto` (`request.protocol`).
 */
export default fp(
  async (app: FastifyInstance) => {
    const service = helmetHeaders(HELMET_OPTIONS)
    const byProtocol = { http: service, https: overHttps(service) }
    // A route with options of its own gets its lists worked out on its first request.
    const ofRoute = new WeakMap<HelmetOptions, { http: Headers; https: Headers }>()
    app.addHook('onRequest', (request, reply, done) => {
      const own = request.routeOptions.config.helmet
      let lists = byProtocol
      if (own) {
        let routeLists = ofRoute.get(own)
        if (!routeLists) {
          const http = helmetHeaders({ ...HELMET_OPTIONS, ...own } as HelmetOptions)
          routeLists = { http, https: overHttps(http) }
          ofRoute.set(own, routeLists)
        }
        lists = routeLists
      }
      const raw = reply.raw
      for (const [name, value] of request.protocol === 'https' ? lists.https : lists.http) raw.setHeader(name, value)
      done()
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
