import net from 'node:net'
import t from 'tap'
import { build } from './helper.js'
import { listen } from './ws-helper.js'

function portOf(base: string): number {
  return Number(new URL(base).port)
}

/** Opens a raw TCP connection; resolves with it once connected. */
function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s))
    s.once('error', reject)
  })
}

/** Resolves with what the server sent and how long the connection lasted, once the server closes it. */
function untilClosed(s: net.Socket): Promise<{ data: string; ms: number }> {
  const started = Date.now()
  let data = ''
  s.on('data', (c) => (data += c.toString()))
  s.on('error', () => {})
  return new Promise((resolve) => s.once('close', () => resolve({ data, ms: Date.now() - started })))
}

t.test('a request whose headers or body stall is closed within the request timeout', async (t) => {
  const app = await build(t, { requestTimeoutMs: 1500 })
  const port = portOf(await listen(app))

  // Headers sent one byte at a time, never finished.
  const slowHeaders = await open(port)
  const headersDone = untilClosed(slowHeaders)
  slowHeaders.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n')
  const drip = setInterval(() => slowHeaders.writable && slowHeaders.write('X'), 200)
  t.teardown(() => clearInterval(drip))

  // A body promised but never sent.
  const slowBody = await open(port)
  const bodyDone = untilClosed(slowBody)
  slowBody.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":')

  const [h, b] = await Promise.all([headersDone, bodyDone])
  clearInterval(drip)
  t.ok(h.ms < 6000, `slow headers closed after ${h.ms} ms`)
  t.ok(b.ms < 6000, `a stalled body closed after ${b.ms} ms`)
  t.match(b.data, /^HTTP\/1\.1 408/, 'the stalled body is answered 408')
})

t.test('connections per client address are bounded', async (t) => {
  const app = await build(t, { maxConnectionsPerIp: 3 })
  const port = portOf(await listen(app))
  const kept = [await open(port), await open(port), await open(port)]
  t.teardown(() => {
    for (const s of kept) s.destroy()
  })
  const fourth = await open(port)
  const done = await untilClosed(fourth)
  t.equal(done.data, '', 'the fourth connection is closed before it is answered')
  // The first three still work.
  const answered = await new Promise<string>((resolve) => {
    let data = ''
    kept[0]!.on('data', (c) => {
      data += c.toString()
      if (data.includes('\r\n\r\n')) resolve(data)
    })
    kept[0]!.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n')
  })
  t.match(answered, /^HTTP\/1\.1 200/)
  // Closing one makes room.
  kept[1]!.destroy()
  await new Promise((r) => setTimeout(r, 200))
  const again = await open(port)
  kept.push(again)
  const reply = await new Promise<string>((resolve) => {
    let data = ''
    again.on('data', (c) => {
      data += c.toString()
      if (data.includes('\r\n\r\n')) resolve(data)
    })
    again.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n')
  })
  t.match(reply, /^HTTP\/1\.1 200/, 'a connection fits again once one closed')
})
