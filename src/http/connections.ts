import { STATUS_CODES, type Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CODE_BY_STATUS, type Failure } from './errors.js'
import type { SurfaceRegistry } from './surface.js'

/**
 * Bounds the open connections one client address may hold on a server: a connection past the
 * bound is closed at once, before a byte of it is read. `server.maxConnections` is one bound for
 * everyone; this one keeps a single address from taking them all. `0` turns it off.
 */
export function limitConnectionsPerAddress(server: Server, max: number): void {
  if (max <= 0) return
  const open = new Map<string, number>()
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown'
    const n = (open.get(address) ?? 0) + 1
    if (n > max) {
      socket.destroy()
      return
    }
    open.set(address, n)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left > 0) open.set(address, left)
      else open.delete(address)
    })
  })
}

/** What Node's parser met, as a failure: headers past the limit (431), a timeout (408), else a 400. */
function clientFailure(error: { code?: string }): Failure {
  if (error.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: CODE_BY_STATUS[431]!, message: 'The request headers are larger than allowed' }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: CODE_BY_STATUS[408]!, message: 'The request did not arrive in time' }
  return { status: 400, code: CODE_BY_STATUS[400]!, message: 'The request could not be parsed' }
}

/**
 * Answers an error Node's HTTP parser met before any route ran (`clientError`), in the body of
 * the surface whose path the request line names (the fallback surface when it cannot be read).
 */
export function answerClientError(registry: SurfaceRegistry, error: { code?: string; rawPacket?: unknown }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : undefined
  const requestLine = raw?.subarray(0, 8192).toString('latin1').split('\r\n')[0] ?? ''
  const path = /^[A-Z]+ (\S+) HTTP\//.exec(requestLine)?.[1] ?? '/'
  const surface = registry.forPath(path)
  const failure = clientFailure(error)
  const body = JSON.stringify(surface.errorBody(failure))
  if (!socket.writable) {
    socket.destroy()
    return
  }
  // Ended rather than destroyed, so the answer reaches the client; cut if it never drains.
  setTimeout(() => socket.destroy(), 1000).unref()
  socket.end(
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
}

/** The most of a refused request's body read and discarded, so its client gets the answer. */
export const REFUSED_BODY_DRAIN_BYTES = 16 * 1024 * 1024

/**
 * After a request is refused before its body was read (a type or size refused mid-upload, a
 * JSON body past the limit), reads and discards the rest of the body, up to `bound` bytes, while
 * the answer goes out. Closing with the body unread makes the client's kernel see a reset before
 * its `fetch` sees the answer (EPIPE, ECONNRESET); a body past the bound is cut after the answer.
 */
export function discardRestOfBody(request: FastifyRequest, reply: FastifyReply, bound = REFUSED_BODY_DRAIN_BYTES): void {
  const raw = request.raw
  if (raw.complete || raw.readableEnded || raw.destroyed) return
  if (Number(raw.headers['content-length']) > bound) {
    reply.header('connection', 'close')
    return
  }
  // Read to the end, the connection can stay open for the next request.
  reply.removeHeader('connection')
  const cut = () => {
    const socket = raw.socket
    if (reply.raw.writableFinished) socket?.destroy()
    else reply.raw.once('finish', () => socket?.destroy())
  }
  let seen = 0
  raw.unpipe()
  raw.removeAllListeners('data')
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length
    if (seen > bound) {
      raw.pause()
      cut()
    }
  })
  raw.resume()
}
