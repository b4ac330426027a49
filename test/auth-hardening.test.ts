import t from 'tap'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { hashPassword, OWASP_PASSWORD_HASHING, setPasswordHashing } from '../src/domain/passwords.js'
import { build, signUp, v1Error } from './helper.js'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

t.test('password guessing is throttled per account, from any number of addresses', async (t) => {
  // The throttle's clock is the test's, so the lock passes without waiting for it.
  let clock = Date.now()
  const app = await buildApp({ config: testConfig({ rateLimitAuthMax: 11 }), loginThrottle: { lockBaseMs: 5000, now: () => clock } })
  t.teardown(() => app.close())
  await app.ready()
  const ada = await signUp(app, 'ada@example.com')
  const statuses = new Map<number, number>()
  for (let i = 0; i < 100; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: `10.0.0.${(i % 10) + 1}`,
      payload: { email: 'ADA@example.com', password: `guess number ${i}` }
    })
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
  }
  t.equal(statuses.get(200), undefined, 'no guess signed in')
  t.ok((statuses.get(429) ?? 0) >= 90, `most guesses were refused unchecked: ${JSON.stringify([...statuses])}`)

  const signIn = (remoteAddress: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { email: ada.email, password: 'correct horse battery' } })
  const right = await signIn('10.0.1.1')
  t.equal(right.statusCode, 429, 'the right password is refused while the account is locked')
  t.equal(v1Error(right).error_code, 'TOO_MANY_ATTEMPTS')
  const retryAfter = Number(right.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 5, `Retry-After says when: ${retryAfter}`)

  const other = await signUp(app, 'bob@example.com')
  t.ok(other.token, 'other accounts are not affected')

  clock += retryAfter * 1000 - 200
  t.equal((await signIn('10.0.1.2')).statusCode, 429, 'still locked just before Retry-After')
  clock += 300
  const later = await signIn('10.0.1.3')
  t.equal(later.statusCode, 200, 'once the lock has passed, the owner signs in')
})

t.test('failed authentication is rate limited: limits run before authentication', async (t) => {
  const app = await build(t, { rateLimitMax: 100, rateLimitAuthMax: 0 })
  const credentials = {
    none: undefined,
    'a garbage JWT': 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad',
    'a made-up API key': `Bearer ak_${'x'.repeat(40)}`
  }
  let n = 0
  for (const [what, authorization] of Object.entries(credentials)) {
    const remoteAddress = `10.1.0.${++n}`
    const codes = new Map<number, number>()
    let last: Awaited<ReturnType<typeof app.inject>> | undefined
    for (let i = 0; i < 120; i++) {
      last = await app.inject({ method: 'GET', url: '/api/v1/auth/me', remoteAddress, headers: authorization ? { authorization } : {} })
      codes.set(last.statusCode, (codes.get(last.statusCode) ?? 0) + 1)
    }
    t.same(Object.fromEntries(codes), { 401: 100, 429: 20 }, `${what}: 401 up to the limit, then 429`)
    t.equal(v1Error(last!).error_code, 'RATE_LIMITED')
    t.ok(Number(last!.headers['retry-after']) > 0)
  }
})

t.test('weak passwords are refused with the field named', async (t) => {
  const app = await build(t)
  for (const password of ['password', '        ', 'password123', 'qwertyuiop']) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'weak@example.com', password } })
    t.equal(res.statusCode, 422, JSON.stringify(password))
    const body = v1Error(res)
    t.equal(body.error_code, 'WEAK_PASSWORD')
    t.equal(body.errors?.[0]?.field, 'body.password')
  }
  const email = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'zebrafinch@example.com', password: 'zebrafinch' } })
  t.equal(email.statusCode, 422, 'the email itself is no password')
  const acct = await signUp(app)
  const change = await app.inject({
    method: 'PUT',
    url: '/api/v1/users/me',
    headers: acct.auth,
    payload: { password: 'password1', current_password: 'correct horse battery' }
  })
  t.equal(change.statusCode, 422, 'a weak new password is refused too')
  t.equal(v1Error(change).error_code, 'WEAK_PASSWORD')
})

t.test('registering a taken email takes as long as a new one', async (t) => {
  // At the production cost, where the hash is most of a registration's time. The check is one-sided
  // (a taken email answers no faster than half a hash), so a loaded machine cannot fail it: it only
  // makes both answers slower.
  const app = await build(t, { passwordHashing: OWASP_PASSWORD_HASHING })
  t.teardown(() => setPasswordHashing(testConfig().passwordHashing))
  await signUp(app, 'taken@example.com')
  const hashMs: number[] = []
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint()
    await hashPassword('correct horse battery')
    hashMs.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  const taken: number[] = []
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint()
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'taken@example.com', password: 'correct horse battery' } })
    taken.push(Number(process.hrtime.bigint() - start) / 1e6)
    t.equal(res.statusCode, 409)
  }
  const hash = Math.min(...hashMs)
  t.ok(median(taken) >= 0.5 * hash, `a taken email answers after ${median(taken).toFixed(1)} ms; one hash takes at least ${hash.toFixed(1)} ms`)
})

t.test('who may call is decided before the body is validated', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const bob = await signUp(app)
  const invalid = [
    { method: 'PUT' as const, url: `/api/v1/users/${admin.id}`, payload: { role: 'king', is_active: 'maybe' } },
    { method: 'GET' as const, url: '/api/v1/users?page=-4', payload: undefined },
    { method: 'POST' as const, url: '/api/v1/tools', payload: { name: 42 } },
    { method: 'DELETE' as const, url: '/api/v1/users/not-a-uuid', payload: undefined }
  ]
  for (const req of invalid) {
    const anon = await app.inject(req)
    t.equal(anon.statusCode, 401, `anonymous ${req.method} ${req.url}`)
    t.equal(v1Error(anon).error_code, 'UNAUTHORIZED')
    const user = await app.inject({ ...req, headers: bob.auth })
    t.equal(user.statusCode, 403, `non-admin ${req.method} ${req.url}`)
    t.equal(v1Error(user).error_code, 'ADMIN_REQUIRED')
    const asAdmin = await app.inject({ ...req, headers: admin.auth })
    t.equal(asAdmin.statusCode, 422, `admin ${req.method} ${req.url}: the body is then validated`)
  }
})
