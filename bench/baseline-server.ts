/**
 * The baseline of `bench/realtime.ts`: a bare `ws` server with no framework, no auth, no database.
 * `POST /send` with a JSON body parses it, serializes it again and sends it to every connected
 * socket, then answers 201 — "HTTP request in, broadcast out to N sockets", the least work the
 * service could do for the same job. Runs as its own process; listens on 127.0.0.1:$PORT.
 */
import { createServer } from 'node:http'
import { WebSocketServer, WebSocket } from 'ws'

const port = Number(process.env.PORT ?? 0)
const MAX_BODY = 64 * 1024

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    return
  }
  if (req.method !== 'POST' || req.url !== '/send') {
    res.writeHead(404).end()
    return
  }
  const chunks: Buffer[] = []
  let size = 0
  req.on('data', (c: Buffer) => {
    size += c.length
    if (size > MAX_BODY) req.destroy()
    else chunks.push(c)
  })
  req.on('end', () => {
    let frame: unknown
    try {
      frame = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      res.writeHead(400).end()
      return
    }
    const data = JSON.stringify(frame)
    let sent = 0
    for (const ws of wss.clients) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(data)
        sent++
      }
    }
    res.writeHead(201, { 'content-type': 'application/json' }).end(`{"sent":${sent}}`)
  })
})

const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 })
wss.on('connection', (ws) => ws.on('error', () => ws.terminate()))

server.keepAliveTimeout = 30_000
server.listen(port, '127.0.0.1')

const stop = () => {
  for (const ws of wss.clients) ws.terminate()
  server.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
