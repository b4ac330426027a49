import { createHash, randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import multipart from '@fastify/multipart'
import cookie from '@fastify/cookie'
import fastifyJwt from '@fastify/jwt'
import sensible from '@fastify/sensible'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Server as SocketIoServer } from 'socket.io'
import { ModelRegistry } from './ai/registry.js'
import { type SpeechSynthesizer, speechFromConfig } from './ai/speech.js'
import { type Transcriber, transcriberFromConfig } from './ai/transcription.js'
import type { Config } from './config.js'
import { openDatabase, type Database_ } from './db/index.js'
import type { EventBus } from './domain/events.js'
import { createServices, type Services } from './domain/index.js'
import { WebhookOutbox } from './domain/webhooks.js'
import type { LoginThrottleOptions } from './domain/login-throttle.js'
import type { CredentialCacheOptions } from './domain/credential-cache.js'
import authPlugin from './http/auth.js'
import browserPolicy, { corsOrigin, docsContentSecurityPolicy, ROUTED_METHODS } from './http/browser.js'
import metricsPlugin from './http/metrics.js'
import rateLimitPlugin from './http/rate-limit.js'
import { AJV_OPTIONS, LazySchemaCompilers } from './http/compilers.js'
import { basePathRewriter, isOutsideBasePath } from './http/base-path.js'
import { answerClientError, discardRestOfBody, limitConnectionsPerAddress } from './http/connections.js'
import { toFailure } from './http/errors.js'
import { answeredNotModified, ETagHeader, NotModifiedResponse } from './http/etag.js'
import { documentPath, sendFailure, type Surface, SurfaceRegistry, surfacePlugin } from './http/surface.js'
import { chatApp } from './http/chat-app/index.js'
import { classic } from './http/classic/index.js'
import { dispatch } from './http/dispatch/index.js'
import { v1 } from './http/v1/index.js'
import { v1RecordPresenters } from './http/v1/presenters.js'
import { InProcessEventBus } from './realtime/bus.js'
import { Hub, type HubOptions } from './realtime/hub.js'
import { attachAssistantRooms } from './realtime/rooms.js'
import { attachSocketIo, disconnectRevoked, SOCKET_IO_PATH } from './realtime/socketio.js'
import { DiskBlobStore } from './storage/disk-blob-store.js'
import { MAX_FILE_SIZE } from './domain/files.js'
import { AccessLog, loggerOptions } from './logging.js'
import type { DispatcherOptions } from './webhooks/dispatcher.js'
import webhookDispatcher from './webhooks/plugin.js'
import playground from './http/playground.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    services: Services
    database: Database_
    surfaces: SurfaceRegistry
    hub: Hub
    /** The Socket.IO server at `/socket.io`; surfaces add their namespaces. */
    io: SocketIoServer
    /** Validators and serializers compiled on first use; `warmUp()` compiles the rest. */
    schemaCompilers: LazySchemaCompilers
  }
}

export interface BuildOptions {
  config: Config
  /** Fastify logger options; defaults to the config's LOG_LEVEL and LOG_FORMAT. */
  logger?: FastifyServerOptions['logger']
  /** An event bus to use instead of the in-process one. */
  events?: EventBus
  /** Timings and bounds of the WebSocket hub (tests shorten them). */
  hub?: Partial<Pick<HubOptions, 'authTimeoutMs' | 'heartbeatMs' | 'maxBufferedBytes' | 'replayLimit' | 'slowConsumerGraceMs'>>
  /** Timings of the webhook dispatcher (tests make them short). */
  webhookDispatcher?: Partial<DispatcherOptions>
  /** Model providers to use instead of the ones the config's keys give (tests). */
  models?: ModelRegistry
  /** The speech engine to use instead of the one the config gives (null: none). */
  speech?: SpeechSynthesizer | null
  /** The transcription engine to use instead of the one the config gives (null: none). */
  transcriber?: Transcriber | null
  /** Bounds of the per-account sign-in throttle (tests shorten the locks). */
  loginThrottle?: Partial<LoginThrottleOptions>
  /** Bounds of the cache of verified tokens, sessions and users (tests shorten the age limit). */
  credentialCache?: Partial<CredentialCacheOptions>
  /**
   * The surfaces to serve (default: all of them). The first is the fallback that answers for
   * paths no surface claims; tests build only the ones they exercise.
   */
  surfaces?: Surface[]
}

/** Every surface the service serves, the canonical one first. */
export const ALL_SURFACES: Surface[] = [v1, chatApp, classic, dispatch]

/** The answers of an API document's route: the document with its `ETag`, or `304` while it is unchanged. */
const DOCUMENT_RESPONSES = {
  200: { description: 'The OpenAPI document', type: 'object', additionalProperties: true, headers: { ETag: ETagHeader } },
  304: NotModifiedResponse
}

export const JWT_ISSUER = 'assistant-backend'
export const JWT_AUDIENCE = 'assistant-backend-api'

/** Builds the whole service from options. Tests call this in-process; `server.ts` listens. */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options
  const surfaces = options.surfaces ?? ALL_SURFACES
  if (!surfaces[0]) throw new Error('buildApp needs at least one surface')
  const registry = new SurfaceRegistry(surfaces[0])
  const compilers = new LazySchemaCompilers()
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    // One access-log line per request instead of Fastify's two.
    logController: new AccessLog(config.accessLogLevel),
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID()
    },
    bodyLimit: 1024 * 1024,
    // Behind a reverse proxy, `X-Forwarded-*` give the client's protocol, host and address.
    // (Fastify takes a hop count too, though its types leave numbers out.)
    trustProxy: config.trustProxy as boolean | string[],
    rewriteUrl: basePathRewriter(config.basePath),
    // A request must arrive whole (headers and body) within REQUEST_TIMEOUT_SECONDS, or its
    // connection is answered 408 and closed; Node checks every second rather than every 30.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.requestTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs)
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Errors the router or Node's parser meet before any handler (a path parameter past
    // `maxParamLength`, a malformed URL, headers past Node's limit, a timeout) answer in the
    // body of the surface the path falls under, like every other failure.
    frameworkErrors: (error, request, reply) => {
      const surface = registry.forPath(request.url)
      return sendFailure(surface, reply, toFailure(error, surface))
    },
    clientErrorHandler: (error, socket) => answerClientError(registry, error, socket),
    ajv: { customOptions: AJV_OPTIONS },
    schemaController: { compilersFactory: { buildValidator: compilers.buildValidator, buildSerializer: compilers.buildSerializer } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  limitConnectionsPerAddress(app.server, config.maxConnectionsPerIp)

  app.decorate('config', config)
  app.decorate('schemaCompilers', compilers)
  app.decorate('surfaces', registry)

  // Every response carries the request id, so a client can quote it and we can find the log line.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id)
    // Under BASE_PATH, nothing answers outside it.
    if (isOutsideBasePath(request.raw)) {
      return sendFailure(registry.forPath(request.url), reply, {
        status: 404,
        code: 'NOT_FOUND',
        message: `Route ${request.method} ${request.url.split('?')[0]} not found`
      })
    }
  })

  await app.register(sensible)
  await app.register(cookie)
  await app.register(browserPolicy)
  await app.register(fastifyJwt, {
    secret: config.jwtSecret,
    sign: { algorithm: 'HS256', iss: JWT_ISSUER, aud: JWT_AUDIENCE, expiresIn: 1800 },
    // A token without an expiry (or an issue time) is refused, however well it is signed.
    verify: { algorithms: ['HS256'], allowedIss: JWT_ISSUER, allowedAud: JWT_AUDIENCE, requiredClaims: ['exp', 'iat'] }
  })

  await app.register(
    fp(
      async (instance) => {
        const database = openDatabase(config.databaseUrl)
        const events = options.events ?? new InProcessEventBus((err, event) => instance.log.error({ err, event: event.type }, 'event listener failed'))
        // Files live under DATA_DIR; an in-process app without one (tests) gets a temporary store.
        const blobs = new DiskBlobStore(config.dataDir ? join(config.dataDir, 'files') : join(tmpdir(), `assistant-backend-files-${randomUUID()}`))
        if (!config.dataDir) instance.addHook('onClose', async () => blobs.destroy())
        // The hub's frames and the webhook payloads are v1's: they show records with v1's presenters.
        const services = createServices({
          db: database.db,
          outbox: new WebhookOutbox(v1RecordPresenters),
          blobs,
          events,
          version: config.version,
          models: options.models ?? ModelRegistry.fromConfig(config),
          ai: {
            speech: options.speech === undefined ? await speechFromConfig(config) : (options.speech ?? undefined),
            transcriber: options.transcriber === undefined ? transcriberFromConfig(config) : (options.transcriber ?? undefined)
          },
          log: instance.log,
          allowPrivateAddresses: config.webhookAllowPrivate,
          allowedEmails: config.allowedEmails,
          loginThrottle: options.loginThrottle,
          credentialCache: options.credentialCache,
          agentRegistryDir: config.agentRegistryDir,
          dispatch: { root: config.workspacesRoot, maxActiveSessions: config.dispatchMaxSessions },
          passwordHashing: config.passwordHashing,
          signer: {
            sign: (claims) => instance.jwt.sign(claims),
            verify: (token) => instance.jwt.verify<Record<string, unknown>>(token)
          }
        })
        const hub = new Hub({
          services,
          events,
          present: v1RecordPresenters,
          log: instance.log,
          maxSubscriptionsPerSocket: config.wsMaxSubscriptions,
          maxSocketsPerUser: config.wsMaxSocketsPerUser,
          ...options.hub
        })
        instance.decorate('database', database)
        instance.decorate('services', services)
        instance.decorate('hub', hub)
        hub.setPartialReply((messageId) => services.replies.partial(messageId))
        instance.addHook('onReady', async () => services.replies.start())
        // Stored Idempotency-Key answers are kept a day.
        const prune = () => {
          try {
            services.conversations.pruneIdempotencyKeys()
          } catch (err) {
            instance.log.error({ err }, 'pruning idempotency keys failed')
          }
        }
        const pruning = setInterval(prune, 3600_000)
        pruning.unref()
        instance.addHook('onReady', async () => prune())
        instance.addHook('onClose', async () => clearInterval(pruning))
        // Replies are cancelled and sockets told and closed before the server waits for connections to end.
        instance.addHook('preClose', async () => {
          await services.replies.stop()
          hub.close()
        })
        instance.addHook('onClose', async () => database.close())
      },
      { name: 'services' }
    )
  )
  await app.register(authPlugin)
  await app.register(metricsPlugin)
  await app.register(rateLimitPlugin)
  await app.register(webhookDispatcher, { dispatcher: options.webhookDispatcher })
  await app.register(multipart, { limits: { fileSize: MAX_FILE_SIZE + 1, files: 20, fields: 20, fieldSize: 64 * 1024, parts: 40 } })
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  // One Socket.IO server on the same HTTP server; surfaces add their namespaces to `app.io`.
  const socketIo = attachSocketIo(app.server, {
    path: `${config.basePath}${SOCKET_IO_PATH}`,
    cors: { origin: corsOrigin(config.corsOrigins), credentials: true }
  })
  app.decorate('io', socketIo.io)
  app.addHook('preClose', () => socketIo.close())
  // The default namespace and the assistant rooms (`/assistant/realtime`). Pages of BASE_URL and
  // CORS_ORIGINS (and the service's own) may connect with the browser sign-in cookie.
  const cookieOrigins = [...(config.baseUrl ? [new URL(config.baseUrl).origin] : []), ...config.corsOrigins.filter((o) => o !== '*')]
  const stopRooms = attachAssistantRooms(socketIo.io, app.services, app.log, { cookieOrigins, present: v1RecordPresenters })
  // A socket of any namespace whose credentials are revoked is disconnected at once.
  const stopRevocations = disconnectRevoked(socketIo.io, app.services.events)
  app.addHook('onClose', async () => {
    stopRooms()
    stopRevocations()
  })

  // Failures, even on unknown routes or bodies that never reached a handler, answer in the body
  // of the surface with the most specific prefix the path falls under. Set before the surfaces
  // are registered, so their contexts inherit it.
  app.setErrorHandler((error, request, reply) => {
    const surface = registry.forPath(request.url)
    const failure = toFailure(error, surface)
    // A body refused before it was read (past the limit, an unsupported type) is read and
    // discarded while the answer goes out, so the client sees the answer rather than a reset.
    if (failure.status === 413 || failure.status === 415) discardRestOfBody(request, reply)
    if (failure.status >= 500) request.log.error({ err: error }, 'request failed')
    return sendFailure(surface, reply, failure)
  })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    // A path served under other methods is a 405 naming them, not a 404 (OPTIONS and HEAD are
    // answered for every route anyway).
    const allow = ROUTED_METHODS.filter((method) => method !== request.method && app.findRoute({ method, url: path }))
    if (allow.length > 0) {
      return sendFailure(registry.forPath(request.url), reply, {
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
        message: `${request.method} is not allowed on ${path}; use ${allow.join(', ')}`,
        headers: { allow: allow.join(', ') }
      })
    }
    return sendFailure(registry.forPath(request.url), reply, { status: 404, code: 'NOT_FOUND', message: `Route ${request.method} ${path} not found` })
  })

  for (const surface of surfaces) {
    registry.add(surface)
    await app.register(surfacePlugin(surface, registry))
  }

  // `app.swagger()` is the fallback (canonical) surface's document; every surface's is `app.surfaces.document(name)`.
  app.decorate('swagger', (() => registry.document(surfaces[0]!.name)) as never)

  // The documents of every surface, Swagger UI offering each of them, and the playground page; none are rate limited.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      // Swagger UI's pages get its own content security policy (@fastify/swagger-ui publishes the
      // hashes of its inline scripts and styles; `swaggerCSP` is set by the time its routes are added).
      const helmet = docs.hasDecorator('swaggerCSP') ? { contentSecurityPolicy: docsContentSecurityPolicy(docs.swaggerCSP) } : undefined
      route.config = { ...route.config, rateLimitClass: 'none', ...(helmet ? { helmet } : {}) }
    })
    for (const surface of surfaces) {
      // A document does not change while the app runs: it is serialized once, and its hash is its ETag.
      let served: { body: string; tag: string } | undefined
      docs.get(documentPath(surface.name), { schema: { hide: true, response: DOCUMENT_RESPONSES } }, async (request, reply) => {
        if (!served) {
          const body = JSON.stringify(registry.document(surface.name))
          served = { body, tag: createHash('sha256').update(body).digest('hex') }
        }
        reply.header('cache-control', 'no-cache')
        if (answeredNotModified(request, reply, served.tag)) return reply.send()
        return reply.type('application/json; charset=utf-8').send(served.body)
      })
    }
    // Swagger UI serves `app.swagger()` (the fallback surface's document) and lists every surface's.
    // It insists on @fastify/swagger in its own context; the surfaces' instances live in theirs.
    await docs.register(swagger, { decorator: 'docsRoutes', openapi: {} })
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: {
        urls: surfaces.map((s) => ({ url: `${config.basePath}${documentPath(s.name)}`, name: s.name })),
        'urls.primaryName': surfaces[0]!.name
      } as never
    })
    await docs.register(playground, { basePath: config.basePath })
  })

  return app
}
