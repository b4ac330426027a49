import t from 'tap'
import { build, signUp, v1Error } from './helper.js'

const login = { email: 'nobody@example.com', password: 'wrong password here' }

t.test('a burst past the auth limit gets exactly the configured number of answers, then 429s', async (t) => {
  const app = await build(t, { rateLimitAuthMax: 3, rateLimitMax: 0 })
  const statuses: number[] = []
  let last: Awaited<ReturnType<typeof app.inject>> | undefined
  for (let i = 0; i < 6; i++) {
    last = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: login })
    statuses.push(last.statusCode)
  }
  t.same(statuses, [401, 401, 401, 429, 429, 429])
  const body = v1Error(last!)
  t.equal(body.error_code, 'RATE_LIMITED')
  t.equal(last!.headers['x-ratelimit-limit'], '3')
  t.equal(last!.headers['x-ratelimit-remaining'], '0')
  t.ok(Number(last!.headers['retry-after']) > 0, 'Retry-After says when to come back')
  t.ok(Number(last!.headers['x-ratelimit-reset']) > 0)
  t.ok(last!.headers['x-request-id'], 'the request id survives')

  // The auth bucket is shared by the auth routes, and the API is not limited (RATE_LIMIT_MAX=0).
  const reg = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'a@example.com', password: 'correct horse battery' } })
  t.equal(reg.statusCode, 429)
  for (let i = 0; i < 5; i++) {
    const health = await app.inject({ method: 'GET', url: '/api/v1/health' })
    t.equal(health.statusCode, 200)
  }
})

t.test('a concurrent burst of real sign-ins: exactly the configured number succeed, the rest get 429', async (t) => {
  const app = await build(t, { rateLimitAuthMax: 5, rateLimitMax: 0 })
  const acct = await signUp(app, 'burst@example.com')
  // signUp spent two of the five (register and login).
  const burst = await Promise.all(
    Array.from({ length: 10 }, () =>
      app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: acct.email, password: 'correct horse battery' } })
    )
  )
  const codes = burst.map((r) => r.statusCode).sort()
  t.same(codes, [200, 200, 200, 429, 429, 429, 429, 429, 429, 429])
  for (const r of burst.filter((r) => r.statusCode === 429)) t.equal(v1Error(r).error_code, 'RATE_LIMITED')
})

t.test('the API limit counts per user, apart from other users and from anonymous callers', async (t) => {
  const app = await build(t, { rateLimitMax: 4, rateLimitAuthMax: 0 })
  const a = await signUp(app)
  const b = await signUp(app)
  const codes: number[] = []
  for (let i = 0; i < 5; i++) codes.push((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: a.auth })).statusCode)
  t.same(codes, [200, 200, 200, 200, 429])
  const first = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: a.auth })
  t.equal(first.statusCode, 429)
  t.equal(v1Error(first).status_code, 429)

  const other = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: b.auth })
  t.equal(other.statusCode, 200, 'another user has a bucket of their own')
  t.equal(other.headers['x-ratelimit-limit'], '4')
  t.equal(other.headers['x-ratelimit-remaining'], '3')

  const anon = await app.inject({ method: 'GET', url: '/api/v1/health' })
  t.equal(anon.statusCode, 200, 'anonymous callers are counted by IP')

  const key = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: b.auth, payload: { name: 'k' } })
  t.equal(key.statusCode, 200 + 1)
  const withKey = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${key.json().key}` } })
  t.equal(withKey.headers['x-ratelimit-remaining'], '1', 'an API key counts against its owner')

  const metrics = await app.inject({ method: 'GET', url: '/internal/metrics' })
  t.equal(metrics.statusCode, 200, 'monitoring is never limited')
  t.notOk(metrics.headers['x-ratelimit-limit'])
})

t.test('0 turns the limits off', async (t) => {
  const app = await build(t, { rateLimitMax: 0, rateLimitAuthMax: 0 })
  for (let i = 0; i < 15; i++) {
    // Another account each time: the per-account sign-in throttle is not a rate limit and stays on.
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { ...login, email: `nobody${i}@example.com` } })
    t.equal(res.statusCode, 401)
    t.notOk(res.headers['x-ratelimit-limit'])
  }
})
