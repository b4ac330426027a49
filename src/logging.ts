import { createRequire } from 'node:module'
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify'
import type { Config, LogLevel } from './config.js'

/** Whether pino-pretty (a development dependency) is installed here. */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

/**
 * Fastify's logger as the configuration asks: JSON lines at `LOG_LEVEL`, or, with
 * `LOG_FORMAT=pretty` (what `npm run dev` sets), readable colored lines through pino-pretty in a
 * worker thread. Where pino-pretty is not installed (a production install) the lines stay JSON.
 */
export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>): FastifyServerOptions['logger'] {
  if (config.logLevel === 'silent') return false
  if (config.logFormat === 'pretty' && prettyAvailable()) {
    return {
      level: config.logLevel,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } }
    }
  }
  return { level: config.logLevel }
}

/** Query parameters that carry a credential; their values never reach a log line. */
const SECRET_PARAMETERS = new Set(['token', 'ticket', 'authkey', 'access_token', 'refresh_token', 'code', 'state', 'api_key', 'key'])

/** A request's path and query for a log line, with the values of credential parameters replaced. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const params = new URLSearchParams(url.slice(q + 1))
  let redacted = false
  for (const name of new Set(params.keys())) {
    if (SECRET_PARAMETERS.has(name.toLowerCase())) {
      params.set(name, '[redacted]')
      redacted = true
    }
  }
  return redacted ? `${url.slice(0, q)}?${params.toString().replaceAll('%5Bredacted%5D', '[redacted]')}` : url
}

/**
 * Fastify's own request logging, reduced to one access-log line per request, written when its
 * response is done: method, URL (as the client sent it, credentials in the query redacted),
 * status, response time in milliseconds and, through the request's logger, its `reqId`. It
 * replaces Fastify's two lines (incoming and completed) at `ACCESS_LOG_LEVEL`; `silent` writes
 * none. Fastify's other per-request lines (not found, its default error handler's) stay off: our
 * handlers answer those, and failures of our own are logged where they happen.
 */
export class AccessLog extends LogController {
  constructor(private readonly level: LogLevel) {
    super({ disableRequestLogging: true })
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const url = loggableUrl(request.originalUrl)
    const statusCode = reply.statusCode
    const responseTime = Math.round(reply.elapsedTime * 10) / 10
    const line = { method: request.method, url, statusCode, responseTime }
    const text = `${request.method} ${url} ${statusCode} ${responseTime}ms`
    if (error) request.log.error({ ...line, err: error }, `${text} (the response failed)`)
    else if (this.level !== 'silent') request.log[this.level](line, text)
  }
}
