import t from 'tap'
import { build, signUp, v1Error } from './helper.js'

t.test('register', async (t) => {
  const app = await build(t)
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: 'Ada@Example.com', password: 'correct horse battery', full_name: 'Ada' }
  })
  t.equal(res.statusCode, 201)
  const user = res.json()
  t.match(user, { email: 'Ada@Example.com', full_name: 'Ada', role: 'admin', is_active: true })
  t.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/, 'a UUIDv7')
  t.match(user.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  t.notOk('password_hash' in user || 'passwordHash' in user || 'password' in user, 'no hash in the response')

  const second = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'bob@example.com', password: 'correct horse battery' } })
  t.equal(second.json().role, 'user', 'only the first account is an admin')

  const dup = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'ADA@example.COM', password: 'another password' } })
  t.equal(dup.statusCode, 409, 'emails are unique regardless of case')
  t.equal(v1Error(dup).error_code, 'EMAIL_TAKEN')

  const bad = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'not-an-email', password: 'short' } })
  t.equal(bad.statusCode, 422)
  const body = v1Error(bad)
  t.equal(body.error_code, 'VALIDATION_ERROR')
  t.same(body.errors!.map((e) => e.field).sort(), ['body.email', 'body.password'], 'every failing field is listed')

  const extra = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: 'c@example.com', password: 'correct horse battery', role: 'admin' }
  })
  t.equal(extra.statusCode, 422, 'unknown fields (like a role) are refused, not ignored')
  t.same(v1Error(extra).errors, [{ field: 'body.role', message: 'is not an accepted field' }])

  const missing = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: {} })
  t.equal(missing.statusCode, 422)
  t.same(
    v1Error(missing)
      .errors!.map((e) => e.field)
      .sort(),
    ['body.email', 'body.password']
  )
})

t.test('malformed input never gives a 500', async (t) => {
  const app = await build(t)
  const cases = [
    { payload: '{"email": "a@b.c",', type: 'application/json', status: 400, code: 'MALFORMED_JSON' },
    { payload: '', type: 'application/json', status: 400, code: 'MALFORMED_JSON' },
    { payload: 'email=a', type: 'application/x-www-form-urlencoded', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
    { payload: '[1,2]', type: 'application/json', status: 422, code: 'VALIDATION_ERROR' },
    { payload: 'null', type: 'application/json', status: 422, code: 'VALIDATION_ERROR' },
    { payload: '{"email": 5, "password": {"a": 1}}', type: 'application/json', status: 422, code: 'VALIDATION_ERROR' },
    { payload: '{"__proto__": {"x": 1}, "email": "a@b.co", "password": "12345678"}', type: 'application/json', status: 400, code: 'MALFORMED_JSON' }
  ]
  for (const c of cases) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: c.payload, headers: { 'content-type': c.type } })
    t.equal(res.statusCode, c.status, `${c.type} ${JSON.stringify(c.payload)} -> ${c.status}`)
    t.equal(v1Error(res).error_code, c.code)
  }
  const huge = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2 * 1024 * 1024) }),
    headers: { 'content-type': 'application/json' }
  })
  t.equal(huge.statusCode, 413)
  t.equal(v1Error(huge).error_code, 'PAYLOAD_TOO_LARGE')

  const notFound = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' })
  t.equal(notFound.statusCode, 404)
  t.equal(v1Error(notFound).error_code, 'NOT_FOUND')
  t.ok(notFound.headers['x-request-id'], 'responses carry a request id')

  const badId = await app.inject({ method: 'GET', url: '/api/v1/users/not-a-uuid', headers: (await signUp(app)).auth })
  t.equal(badId.statusCode, 422)
  t.equal(v1Error(badId).errors?.[0]?.field, 'params.user_id')
})

t.test('login', async (t) => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'ada@example.com', password: 'correct horse battery' } })

  const ok = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ADA@example.com', password: 'correct horse battery' } })
  t.equal(ok.statusCode, 200)
  const tokens = ok.json()
  t.equal(tokens.token_type, 'bearer')
  t.equal(tokens.expires_in, 1800)
  t.type(tokens.access_token, 'string')
  t.type(tokens.refresh_token, 'string')
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString())
  t.equal(claims.exp - claims.iat, 1800, 'the access token lasts 30 minutes')
  t.equal(claims.iss, 'assistant-backend')
  t.equal(claims.aud, 'assistant-backend-api')

  const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ada@example.com', password: 'wrong password' } })
  t.equal(wrong.statusCode, 401)
  t.equal(v1Error(wrong).error_code, 'INVALID_CREDENTIALS')
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@example.com', password: 'whatever1' } })
  t.equal(unknown.statusCode, 401)
  t.equal(v1Error(unknown).detail, v1Error(wrong).detail, 'unknown email and wrong password look the same')

  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(me.statusCode, 200)
  t.equal(me.json().email, 'ada@example.com')
})

t.test('a disabled account cannot sign in, and answers the same to right and wrong passwords', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const bob = await signUp(app, 'bob@example.com')
  const off = await app.inject({ method: 'PUT', url: `/api/v1/users/${bob.id}`, headers: admin.auth, payload: { is_active: false } })
  t.equal(off.statusCode, 200)
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bob@example.com', password: 'correct horse battery' } })
  const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bob@example.com', password: 'wrong password' } })
  t.equal(login.statusCode, 401)
  t.equal(v1Error(login).error_code, 'INVALID_CREDENTIALS')
  t.equal(login.body, wrong.body, 'the right password tells nothing more than a wrong one')
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bob.auth })
  t.equal(me.statusCode, 401, "a disabled user's tokens stop working")
})

t.test('me requires a valid access token', async (t) => {
  const app = await build(t)
  const acct = await signUp(app)
  const none = await app.inject({ method: 'GET', url: '/api/v1/auth/me' })
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], 'Bearer')
  t.equal(v1Error(none).error_code, 'UNAUTHORIZED')

  const garbage = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer nope' } })
  t.equal(garbage.statusCode, 401)
  t.equal(v1Error(garbage).error_code, 'INVALID_TOKEN')

  const basic = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Basic abc' } })
  t.equal(basic.statusCode, 401)

  const asAccess = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${acct.refresh}` } })
  t.equal(asAccess.statusCode, 401, 'a refresh token is never accepted as an access token')

  // A token signed with the right secret but the wrong algorithm, issuer, audience or type is refused.
  const forged = [
    app.jwt.sign({ sub: acct.id, sid: 'x', typ: 'access', role: 'admin' }, { iss: 'someone-else' }),
    app.jwt.sign({ sub: acct.id, sid: 'x', typ: 'access', role: 'admin' }, { aud: 'other-api' }),
    app.jwt.sign({ sub: acct.id, sid: 'x', typ: 'refresh', role: 'admin' }),
    app.jwt.sign({ sub: acct.id, sid: 'x', typ: 'access', role: 'admin' }, { algorithm: 'HS512' })
  ]
  for (const token of forged) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 401)
  }
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
  const payload = Buffer.from(JSON.stringify({ sub: acct.id, typ: 'access' })).toString('base64url')
  const unsigned = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${header}.${payload}.` } })
  t.equal(unsigned.statusCode, 401, 'alg=none is refused')
})

t.test('refresh rotates, and a reused refresh token revokes its family', async (t) => {
  const app = await build(t)
  const acct = await signUp(app)

  const first = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: acct.refresh } })
  t.equal(first.statusCode, 200)
  const pair1 = first.json()
  t.not(pair1.refresh_token, acct.refresh, 'a new refresh token every time')

  const second = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: pair1.refresh_token } })
  t.equal(second.statusCode, 200)
  const pair2 = second.json()

  // The first refresh token is presented again: a replay.
  const replay = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: acct.refresh } })
  t.equal(replay.statusCode, 401)
  t.equal(v1Error(replay).error_code, 'INVALID_REFRESH_TOKEN')

  const latest = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: pair2.refresh_token } })
  t.equal(latest.statusCode, 401, 'the newest token of the family is revoked too')
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${pair2.access_token}` } })
  t.equal(me.statusCode, 401, 'and so are its access tokens')

  // Another login (another family) is unaffected.
  const again = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: acct.email, password: 'correct horse battery' } })
  t.equal(again.statusCode, 200)

  const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: 'rt_unknown' } })
  t.equal(unknown.statusCode, 401)
  const bad = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: '' } })
  t.equal(bad.statusCode, 422)
  // No token in the body and no cookie: nothing to refresh.
  const none = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: {} })
  t.equal(none.statusCode, 401)
  t.equal(none.json().error_code, 'INVALID_REFRESH_TOKEN')
})

t.test('logout revokes the session', async (t) => {
  const app = await build(t)
  const acct = await signUp(app)
  const other = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: acct.email, password: 'correct horse battery' } })
  const otherToken = other.json().access_token

  const out = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: acct.auth, payload: { refresh_token: acct.refresh } })
  t.equal(out.statusCode, 204)
  t.equal(out.body, '')

  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: acct.auth })
  t.equal(me.statusCode, 401, 'the access token of the ended session stops working')
  const refresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: acct.refresh } })
  t.equal(refresh.statusCode, 401, 'its refresh token too')
  const otherMe = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${otherToken}` } })
  t.equal(otherMe.statusCode, 200, 'other sessions go on')

  const anon = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: {} })
  t.equal(anon.statusCode, 401)
})
