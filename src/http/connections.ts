import type { Server } from 'node:http'
import type { Socket } from 'node:net'

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
