import t from 'tap'
import { build } from './helper.js'

t.test('health checks', async (t) => {
  const app = await build(t)
  const basic = await app.inject({ method: 'GET', url: '/api/v1/health' })
  t.equal(basic.statusCode, 200)
  t.equal(basic.json().status, 'ok')

  const detailed = await app.inject({ method: 'GET', url: '/api/v1/health/detailed' })
  t.equal(detailed.statusCode, 200)
  t.match(detailed.json(), { status: 'ok', version: String, uptime_seconds: Number, components: { database: { status: 'ok' } } })

  const internal = await app.inject({ method: 'GET', url: '/internal/health' })
  t.equal(internal.statusCode, 200)
  t.match(internal.json(), { status: 'healthy', database: 'ok' })

  app.database.sqlite.close()
  const down = await app.inject({ method: 'GET', url: '/api/v1/health/detailed' })
  t.equal(down.statusCode, 503, 'a dead database is reported, not hidden')
  t.match(down.json(), { status: 'degraded', components: { database: { status: 'error' } } })
  const internalDown = await app.inject({ method: 'GET', url: '/internal/health' })
  t.equal(internalDown.statusCode, 503)
  t.equal(internalDown.json().status, 'unhealthy')
})

t.test('security headers and CORS', async (t) => {
  const app = await build(t, { corsOrigins: ['https://app.example.com'] })
  const res = await app.inject({ method: 'GET', url: '/api/v1/health', headers: { origin: 'https://app.example.com' } })
  t.equal(res.headers['access-control-allow-origin'], 'https://app.example.com')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  const other = await app.inject({ method: 'GET', url: '/api/v1/health', headers: { origin: 'https://evil.example.com' } })
  t.notOk(other.headers['access-control-allow-origin'], 'origins outside the allow-list get no CORS grant')
})
