import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import type { TSchema } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify'
import type { DomainError } from '../domain/errors.js'
import { requireAdmin } from '../domain/principal.js'
import type { Failure } from './errors.js'
import { documentResponseHeaders, type HeaderFacts, sendLocation } from './response-headers.js'

/** Who may call a route: `required` (the default), `optional` (a credential is used when sent) or `none`. */
export type AuthMode = 'required' | 'optional' | 'none'

/** Which rate-limit bucket a route counts against: the API's (default), the sign-in one, or none. */
export type RateLimitClass = 'api' | 'auth' | 'none'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Whether the route needs a signed-in caller; gives both the OpenAPI `security` and the auth hook. */
    auth?: AuthMode
    /** `auth` puts a route under the sign-in limit (`RATE_LIMIT_AUTH_MAX`); `none` exempts it. */
    rateLimitClass?: RateLimitClass
    /**
     * The role a route needs (`admin`): checked right after authentication, before the body is
     * read or validated, so a caller without it gets 403 whatever they send.
     */
    role?: Role
    /**
     * How a POST honours `Idempotency-Key`: `stored` (its first answer is kept and replayed),
     * `domain` (the service does it in the creating transaction). Any other POST refuses the header.
     */
    idempotency?: 'stored' | 'domain'
    /**
     * The path of what a route answering 201 created, from the body it answers with (and the
     * request, for path parameters): sent as `Location`. Every route that documents a 201 needs one.
     */
    location?: (created: never, request: FastifyRequest) => string
  }
}

/** A role a route may require of its callers. */
export type Role = 'admin'

/** How a surface signs callers in: the hook that sets `request.principal`, and how OpenAPI names it. */
export interface AuthStrategy {
  /** The OpenAPI security scheme's name, e.g. `bearerAuth`. */
  scheme: string
  /** The scheme itself; a surface's document may describe it in its own words. */
  securityScheme: Record<string, unknown>
  /** Other schemes any one of which also signs a caller in (e.g. a cookie beside the bearer header). */
  alternatives?: { scheme: string; securityScheme: Record<string, unknown> }[]
  /** Statuses the strategy itself may answer to a POST, PUT, PATCH or DELETE (v1's CSRF check: 403). */
  unsafeMethodStatuses?: number[]
  /** Resolves the request's credential; throws a DomainError when `required` and absent or bad. */
  authenticate(request: FastifyRequest, mode: Exclude<AuthMode, 'none'>): void | Promise<void>
}

/**
 * One API document served over the shared core. A surface owns its paths (by prefix), its error
 * body and status mapping, its auth strategy, its schemas, its routes and its OpenAPI document.
 * Adding a surface is adding a folder under `src/http/` that exports one of these, and listing it
 * in `app.ts`.
 */
export interface Surface {
  /** A short name: `v1`, `classic`, ...; its document is `openapi/<name>.json` (v1's is `openapi.json`). */
  name: string
  /** Path prefixes the surface answers for, matched on segment boundaries (`/api` covers `/api/x`, not `/apix`). */
  prefixes: string[]
  /** The body of an error response, in the surface's own shape and words. */
  errorBody(failure: Failure): unknown
  /** The error body's schema (with an `$id`): the response schema of every error status. */
  errorSchema: TSchema
  /** What each error status means to this surface, for the response descriptions. */
  errorDescriptions?: Record<number, string>
  /** The status the surface gives a domain error, when it differs from the shared table. */
  statusOf?(error: DomainError): number | undefined
  /** The status of a request that fails schema validation (v1: 422). */
  validationStatus: number
  /** How callers sign in; a surface without one has only public routes. */
  auth?: AuthStrategy
  /** Schemas with an `$id` the surface's routes refer to; they become its document's components. */
  schemas: TSchema[]
  /** The surface's OpenAPI document: everything but paths and components, which come from its routes. */
  openapi: NonNullable<FastifyDynamicSwaggerOptions['openapi']>
  /** Registers the surface's routes (with their prefixes). */
  routes(app: FastifyInstance): Promise<void>
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function segmentPrefixOf(prefix: string, path: string): boolean {
  if (prefix === '/') return true
  return path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)
}

/**
 * The surfaces of an app, by prefix. Failures on any path, including unknown routes and bodies
 * that never reached a handler, answer in the body of the surface with the most specific prefix
 * the path falls under, so `/api/v1/x` is v1's even when another surface owns `/api`.
 */
export class SurfaceRegistry {
  private readonly entries: { prefix: string; surface: Surface }[] = []
  private readonly documents = new Map<string, () => unknown>()
  private readonly all: Surface[] = []

  constructor(private readonly fallback: Surface) {}

  add(surface: Surface): void {
    if (this.all.some((s) => s.name === surface.name)) throw new Error(`Two surfaces are named ${surface.name}`)
    for (const prefix of surface.prefixes) {
      const taken = this.entries.find((e) => e.prefix === prefix)
      if (taken) throw new Error(`The prefix ${prefix} belongs to ${taken.surface.name} and ${surface.name}`)
      this.entries.push({ prefix, surface })
    }
    // Longest prefix first: the first match is the most specific.
    this.entries.sort((a, b) => b.prefix.length - a.prefix.length)
    this.all.push(surface)
  }

  /** The surface a path (or URL with a query) belongs to; the fallback (v1) for paths no surface claims. */
  forPath(url: string): Surface {
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    return this.entries.find((e) => segmentPrefixOf(e.prefix, path))?.surface ?? this.fallback
  }

  list(): Surface[] {
    return [...this.all]
  }

  setDocument(name: string, generate: () => unknown): void {
    this.documents.set(name, generate)
  }

  /** The OpenAPI document of a surface (the app must be ready). */
  document(name: string): unknown {
    const generate = this.documents.get(name)
    if (!generate) throw new Error(`No surface named ${name}`)
    return generate()
  }
}

/** Where a surface's OpenAPI document is served (and committed under `openapi/`): v1's is `/openapi.json`. */
export function documentPath(name: string): string {
  return name === 'v1' ? '/openapi.json' : `/openapi/${name}.json`
}

/** Error responses for a route's `response` map, in a surface's error body. */
export function errorResponses(
  surface: Pick<Surface, 'errorSchema' | 'errorDescriptions'>,
  statuses: number[]
): Record<number, { $ref: string; description: string }> {
  if (!surface.errorSchema.$id) throw new Error('A surface error schema needs an $id')
  const out: Record<number, { $ref: string; description: string }> = {}
  for (const s of statuses) out[s] = { $ref: surface.errorSchema.$id, description: surface.errorDescriptions?.[s] ?? 'Error' }
  return out
}

/** Sends a failure in a surface's error body. */
export function sendFailure(surface: Surface, reply: FastifyReply, failure: Failure): FastifyReply {
  if (failure.headers) reply.headers(failure.headers)
  return reply.code(failure.status).type('application/json; charset=utf-8').send(surface.errorBody(failure))
}

/** The OpenAPI security schemes of a strategy, by name: its own and its alternatives. */
function securitySchemesOf(strategy: AuthStrategy): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = { [strategy.scheme]: strategy.securityScheme }
  for (const alternative of strategy.alternatives ?? []) out[alternative.scheme] = alternative.securityScheme
  return out
}

/** One OpenAPI security requirement per scheme: any one of them will do. */
function securityRequirements(strategy: AuthStrategy): Record<string, string[]>[] {
  return Object.keys(securitySchemesOf(strategy)).map((scheme) => ({ [scheme]: [] }))
}

function hooksOf<H>(value: H | H[] | undefined): H[] {
  if (!value) return []
  return Array.isArray(value) ? value : [value]
}

/**
 * What every route of a surface gets from its declaration, so nothing can drift: the auth hook
 * and the OpenAPI `security` both come from `config.auth`, the role check from `config.role`;
 * 401, 403, 429 and the validation status are documented in the surface's error body wherever
 * they can happen.
 *
 * Order of a request: the rate limit (its onRequest hook is added to the route first, by the
 * plugin registered before the surfaces), then authentication, then the role, all at onRequest:
 * an anonymous, failed or unauthorized caller is counted, and refused before its body is parsed
 * or validated.
 */
function applyRouteConventions(surface: Surface, route: RouteOptions, facts: Map<string, HeaderFacts>): void {
  route.config ??= {}
  route.schema ??= {}
  const config = route.config as { auth?: AuthMode; rateLimitClass?: RateLimitClass; role?: Role; idempotency?: string; location?: unknown }
  const mode: AuthMode = surface.auth ? (config.auth ?? 'required') : 'none'
  config.auth = mode
  if (config.role && mode !== 'required') throw new Error(`${route.url}: a route that needs a role needs auth: 'required'`)
  const schema = route.schema as Record<string, unknown> & { response?: Record<string, unknown>; hide?: boolean }
  if (mode !== 'none' && surface.auth) {
    const strategy = surface.auth
    const hooks: onRequestHookHandler[] = [async (request) => strategy.authenticate(request, mode)]
    if (config.role === 'admin') hooks.push(async (request) => requireAdmin(request.principal))
    route.onRequest = [...hooksOf<onRequestHookHandler>(route.onRequest as onRequestHookHandler | onRequestHookHandler[] | undefined), ...hooks]
  }
  if (config.location) route.preSerialization = [...hooksOf(route.preSerialization), sendLocation]
  if (schema.hide) return
  if (schema.response?.[201] && !config.location) throw new Error(`${route.url}: a route answering 201 declares config.location, the path of what it made`)
  const operationId = schema.operationId
  if (typeof operationId === 'string') {
    facts.set(operationId, { rateLimited: (config.rateLimitClass ?? 'api') !== 'none', idempotent: config.idempotency !== undefined })
  }
  const requirements = surface.auth ? securityRequirements(surface.auth) : []
  schema.security = mode === 'required' ? requirements : mode === 'optional' ? [{}, ...requirements] : []
  schema.response ??= {}
  const response = schema.response
  const add = (status: number) => {
    if (!response[status]) Object.assign(response, errorResponses(surface, [status]))
  }
  if (mode === 'required') add(401)
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  if (mode !== 'none' && methods.some((m) => UNSAFE_METHODS.has(m))) for (const status of surface.auth?.unsafeMethodStatuses ?? []) add(status)
  if (config.role) add(403)
  if (schema.body || schema.querystring || schema.params || schema.headers) add(surface.validationStatus)
  if ((config.rateLimitClass ?? 'api') !== 'none') add(429)
}

interface DocumentWithBodies {
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { $ref?: string }; example?: unknown }> } }>>
  components?: { schemas?: Record<string, { examples?: unknown[] }> }
}

/**
 * A JSON request body's example is its schema's (`example()` in `schemas/`): set on the media
 * type, where Swagger UI takes the body "Try it out" sends and generators take their samples.
 */
function documentBodyExamples<T extends DocumentWithBodies>(document: T): T {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const media = operation?.requestBody?.content?.['application/json']
      const name = media?.schema?.$ref?.replace('#/components/schemas/', '')
      const examples = name ? document.components?.schemas?.[name]?.examples : undefined
      if (media && examples?.length && media.example === undefined) media.example = examples[0]
    }
  }
  return document
}

/**
 * The plugin that serves a surface in its own encapsulated context: its schemas, its own
 * @fastify/swagger (so its document holds only its routes and components), the route conventions,
 * then its routes.
 */
export function surfacePlugin(surface: Surface, registry: SurfaceRegistry) {
  return async (app: FastifyInstance) => {
    for (const schema of surface.schemas) app.addSchema(schema)
    const { openapi } = surface
    const securitySchemes = { ...(surface.auth ? securitySchemesOf(surface.auth) : {}), ...openapi.components?.securitySchemes }
    const facts = new Map<string, HeaderFacts>()
    await app.register(swagger, {
      decorator: 'surfaceDocument',
      openapi: {
        ...openapi,
        info: { ...openapi.info, version: app.config.version },
        // Relative to where the document is served, so "Try it out" calls the server it came from,
        // whatever its host name; under BASE_PATH, every path is reached through the prefix.
        servers: openapi.servers ?? [{ url: app.config.basePath || '/', description: 'The server this document is served by' }],
        components: { ...openapi.components, ...(Object.keys(securitySchemes).length ? { securitySchemes } : {}) }
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`)
      },
      transformObject: (document) => {
        const openapiObject = (document as { openapiObject: Record<string, never> }).openapiObject
        return documentResponseHeaders(documentBodyExamples(openapiObject), (operationId) => facts.get(operationId))
      }
    } as FastifyDynamicSwaggerOptions)
    registry.setDocument(surface.name, () => (app as unknown as { surfaceDocument(): unknown }).surfaceDocument())
    app.addHook('onRoute', (route) => applyRouteConventions(surface, route, facts))
    await surface.routes(app)
  }
}
