import type { FastifyReply, FastifyRequest } from 'fastify'
import { toFailure } from './errors.js'

/** Whether a request asks for Server-Sent Events (`Accept: text/event-stream`, or `stream: true` in its body). */
export function wantsEventStream(request: FastifyRequest, bodyFlag?: boolean): boolean {
  if (bodyFlag === true) return true
  const accept = request.headers.accept ?? ''
  return /\btext\/event-stream\b/i.test(accept)
}

export interface SseStream {
  /** One event: `event: <name>` and its data as JSON. */
  send(event: string, data: unknown, id?: string | number): void
  /** A comment line, which clients ignore: keeps idle connections (and proxies) from timing out. */
  comment(text: string): void
  /** Anything thrown, as an `error` event in the error body of the request's surface. */
  sendError(error: unknown): void
  close(): void
  /** Fires when the client goes away before `close()`. */
  readonly signal: AbortSignal
  readonly closed: boolean
}

/**
 * Takes over the response and opens an event stream (200 unless told otherwise). Headers Fastify's
 * hooks already set (request id, rate limit, CORS, security headers) are kept. A client that
 * disconnects aborts `signal`.
 */
export function openEventStream(request: FastifyRequest, reply: FastifyReply, status = 200): SseStream {
  const controller = new AbortController()
  reply.hijack()
  const res = reply.raw
  const headers: Record<string, string | number | string[]> = {}
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string | number | string[]
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no'
  })
  res.flushHeaders()
  let closed = false
  res.on('close', () => {
    if (!closed) {
      closed = true
      controller.abort()
    }
  })
  const write = (text: string) => {
    if (!closed && !res.destroyed) res.write(text)
  }
  return {
    send(event, data, id) {
      write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    },
    comment(text) {
      write(`: ${text}\n\n`)
    },
    sendError(error) {
      const surface = request.server.surfaces.forPath(request.url)
      const failure = toFailure(error, surface)
      if (failure.status >= 500) request.log.error({ err: error }, 'stream failed')
      write(`event: error\ndata: ${JSON.stringify(surface.errorBody(failure))}\n\n`)
    },
    close() {
      if (closed) return
      closed = true
      res.end()
    },
    get signal() {
      return controller.signal
    },
    get closed() {
      return closed
    }
  }
}

/** An AbortSignal that fires when the client of a plain (not streamed) request goes away before the answer. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort()
  })
  return controller.signal
}
