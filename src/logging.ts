import { createRequire } from 'node:module'
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify'
import pino from 'pino'
import type { Config, LogLevel } from './config.js'

/** JSON log lines are written out in batches of about this many bytes (an access line is ~250)... */
export const LOG_BATCH_BYTES = 4096
/** ...and whatever is waiting at least this often, so a quiet server's lines still show at once. */
export const LOG_FLUSH_MS = 1000

/**
 * Where JSON log lines go: a file descriptor (stdout for the service), through pino's own
 * destination, written in batches rather than with one write call per line. One write per
 * request's access line was about a fifth of the server's time for `GET /users/me`. Lines are
 * flushed at least every LOG_FLUSH_MS, and at exit (pino registers that) as on a crash that
 * reaches an exit handler; a process killed outright (SIGKILL, out of memory) can lose the last
 * second of lines.
 */
export function logDestination(fd: number) {
  return pino.destination({ dest: fd, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS, sync: false })
}

let stdoutDestination: ReturnType<typeof logDestination> | undefined

/** Writes out the log lines waiting on stdout now (before the start banner, so they come first). */
export function flushLogs(): void {
  stdoutDestination?.flushSync()
}

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
 * Fastify's logger as the configuration asks: JSON lines at `LOG_LEVEL` on stdout (batched, see
 * logDestination), or, with `LOG_FORMAT=pretty` (what `npm run dev` sets), readable colored lines
 * through pino-pretty in a worker thread. Where pino-pretty is not installed (a production
 * install) the lines stay JSON.
 */
export function loggerOptions(config: Pick<Config, 'logLevel' | 'logFormat'>): FastifyServerOptions['logger'] {
  if (config.logLevel === 'silent') return false
  if (config.logFormat === 'pretty' && prettyAvailable()) {
    return {
      level: config.logLevel,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } }
    }
  }
  stdoutDestination ??= logDestination(1)
  return { level: config.logLevel, stream: stdoutDestination }
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
