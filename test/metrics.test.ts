import parse from 'parse-prometheus-text-format'
import t from 'tap'
import { build, signUp } from './helper.js'
import { connect } from './ws-helper.js'

function counter(text: string, name: string, labels: Record<string, string>): number {
  const family = parse(text).find((f) => f.name === name)
  if (!family) return 0
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  return sample ? Number(sample.value ?? sample.count) : 0
}

t.test('/internal/metrics is Prometheus text and its counters move with traffic', async (t) => {
  const app = await build(t)
  const first = await app.inject({ method: 'GET', url: '/internal/metrics' })
  t.equal(first.statusCode, 200)
  t.match(first.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const families = parse(first.body)
  const names = families.map((f) => f.name)
  for (const n of [
    'http_requests_total',
    'http_request_duration_seconds',
    'nodejs_eventloop_lag_seconds',
    'ws_connections',
    'ws_frames_total',
    'messages_created_total',
    'assistant_replies_total',
    'assistant_reply_latency_seconds',
    'webhook_delivery_attempts_total',
    'process_cpu_user_seconds_total'
  ]) {
    t.ok(names.includes(n), `${n} is exposed`)
  }

  const acct = await signUp(app)
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: `/api/v1/users/${acct.id}`, headers: acct.auth })
  await app.inject({ method: 'GET', url: '/api/v1/users/not-a-uuid', headers: acct.auth })
  await app.inject({ method: 'GET', url: '/no/such/route' })

  const text = (await app.inject({ method: 'GET', url: '/internal/metrics' })).body
  t.equal(
    counter(text, 'http_requests_total', { route: '/api/v1/users/:user_id', method: 'GET', status_code: '200' }),
    3,
    'labelled by the route pattern, not the raw URL'
  )
  t.equal(counter(text, 'http_requests_total', { route: '/api/v1/users/:user_id', method: 'GET', status_code: '422' }), 1)
  t.equal(counter(text, 'http_requests_total', { route: '/api/v1/auth/register', method: 'POST', status_code: '201' }), 1)
  t.equal(counter(text, 'http_requests_total', { route: 'unmatched', method: 'GET', status_code: '404' }), 1)
  // (the parser drops a histogram's labels, so its count line is read as it is)
  const timed = /^http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/users\/:user_id",status_code="200"\} (\d+)$/m.exec(text)
  t.equal(Number(timed?.[1]), 3, 'every request is timed')
  t.notMatch(text, new RegExp(acct.id), 'no id leaks into a label')

  // A real WebSocket moves the connection gauge and the frame counters.
  const ws = await connect(app, { token: acct.token })
  ws.send({ type: 'ping' })
  await ws.type('pong')
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: acct.auth, payload: { initial_message: 'hi' } })).json()
  t.ok(conv.id)
  const later = (await app.inject({ method: 'GET', url: '/internal/metrics' })).body
  t.equal(counter(later, 'ws_connections', {}), 1)
  t.equal(counter(later, 'ws_frames_total', { direction: 'in', type: 'ping' }), 1)
  t.equal(counter(later, 'ws_frames_total', { direction: 'out', type: 'pong' }), 1)
  t.equal(counter(later, 'messages_created_total', { role: 'user' }), 1)
  // A fan-out to several sockets is counted per socket.
  const ws2 = await connect(app, { token: acct.token })
  for (const c of [ws, ws2]) {
    c.send({ type: 'subscribe', conversation_id: conv.id })
    await c.type('subscribed')
  }
  await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv.id}/messages`, headers: acct.auth, payload: { content: 'to both' } })
  await ws.type('message.created')
  await ws2.type('message.created')
  const fanned = (await app.inject({ method: 'GET', url: '/internal/metrics' })).body
  t.equal(counter(fanned, 'ws_frames_total', { direction: 'out', type: 'message.created' }), 2)
  ws2.close()
  await ws2.closed
  ws.close()
  await ws.closed
  await new Promise((r) => setTimeout(r, 50))
  const closed = (await app.inject({ method: 'GET', url: '/internal/metrics' })).body
  t.equal(counter(closed, 'ws_connections', {}), 0)
})

t.test('two apps keep their metrics apart', async (t) => {
  const a = await build(t)
  const b = await build(t)
  await a.inject({ method: 'GET', url: '/api/v1/health' })
  const text = (await b.inject({ method: 'GET', url: '/internal/metrics' })).body
  t.equal(counter(text, 'http_requests_total', { route: '/api/v1/health', method: 'GET', status_code: '200' }), 0)
})
