import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import { Server, type ServerOptions } from 'socket.io'

export const SOCKET_IO_PATH = '/socket.io'

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

function onPath(path: string, url: string | undefined): boolean {
  return url !== undefined && (url === path || url.startsWith(`${path}/`) || url.startsWith(`${path}?`))
}

/**
 * One Socket.IO server at `/socket.io` (under `BASE_PATH` when set: give `path`) on the app's HTTP server, beside the native WebSocket
 * routes. Surfaces add their namespaces to it (`io.of('/chat')`, ...); each namespace authenticates
 * in its own `use` middleware, so a refused credential is a `connect_error` at the handshake.
 *
 * Both Socket.IO and @fastify/websocket listen for HTTP upgrades. @fastify/websocket routes every
 * upgrade through Fastify, where a Socket.IO path is a 404 written onto the socket Socket.IO is
 * upgrading; so the upgrade listeners already on the server (@fastify/websocket's) are given only
 * the upgrades that are not Socket.IO's.
 */
export function attachSocketIo(server: HttpServer, options: Partial<ServerOptions> = {}): { io: Server; close(): Promise<void> } {
  const others = server.listeners('upgrade') as UpgradeListener[]
  for (const listener of others) server.removeListener('upgrade', listener)
  const path = options.path ?? SOCKET_IO_PATH
  const io = new Server(server, { serveClient: false, destroyUpgrade: false, ...options, path })
  const dispatch: UpgradeListener = (request, socket, head) => {
    if (onPath(path, request.url)) return
    for (const listener of others) listener.call(server, request, socket, head)
  }
  server.on('upgrade', dispatch)
  return {
    io,
    close: () =>
      new Promise<void>((resolve) => {
        server.removeListener('upgrade', dispatch)
        // io.close() would close the HTTP server too; Fastify does that. Disconnect the sockets only.
        io.disconnectSockets(true)
        for (const nsp of io._nsps.values()) nsp.disconnectSockets(true)
        io.engine.close()
        resolve()
      })
  }
}
