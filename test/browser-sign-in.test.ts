import type { FastifyInstance } from 'fastify'
import { OAuth2Server } from 'oauth2-mock-server'
import t from 'tap'
import type { Config } from '../src/config.js'
import { build, signUp } from './helper.js'

/**
 * Browser sign-in driven as a browser would: real HTTP to the service and to a real OpenID Connect
 * provider (oauth2-mock-server) on loopback, redirects followed by hand, cookies kept in a jar.
 */

interface Cookie {
  name: string
  value: string
  path: string
  attributes: string[]
  raw: string
}

function parseSetCookie(raw: string): Cookie {
  const [pair = '', ...rest] = raw.split(';').map((s) => s.trim())
  const eq = pair.indexOf('=')
  const attributes = rest.map((a) => a.toLowerCase())
  const path = rest.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/'
  return { name: pair.slice(0, eq), value: decodeURIComponent(pair.slice(eq + 1)), path, attributes, raw }
}

/** A browser's cookies for one site (host-only; paths honoured; cleared cookies dropped). */
class Browser {
  readonly jar = new Map<string, Cookie>()
  /** The Set-Cookie headers of the last response, by cookie name. */
  lastSet = new Map<string, Cookie>()

  cookieHeader(url: URL): string {
    return [...this.jar.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${encodeURIComponent(c.value)}`)
      .join('; ')
  }

  async fetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const target = new URL(url)
    const headers: Record<string, string> = { ...init.headers }
    const cookie = this.cookieHeader(target)
    if (cookie) headers.cookie = cookie
    const res = await fetch(target, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' })
    this.lastSet = new Map()
    for (const raw of res.headers.getSetCookie()) {
      const c = parseSetCookie(raw)
      this.lastSet.set(c.name, c)
      const cleared = c.value === '' || c.attributes.includes('max-age=0') || c.attributes.some((a) => a.startsWith('expires=thu, 01 jan 1970'))
      if (cleared) this.jar.delete(c.name)
      else this.jar.set(c.name, c)
    }
    return res
  }

  csrf(): string {
    return this.jar.get('csrf_token')?.value ?? ''
  }
}

interface Person {
  sub: string
  email?: string
  email_verified?: boolean
  name?: string
}

async function setup(t: { teardown(fn: () => unknown): void }, overrides: Partial<Config> = {}) {
  const idp = new OAuth2Server()
  await idp.issuer.keys.generate('RS256')
  await idp.start(0, '127.0.0.1')
  t.teardown(() => idp.stop())
  // Who the provider says signs in next (its tokens carry these claims).
  const person: { current: Person } = { current: { sub: 'alice-sub', email: 'alice@example.com', email_verified: true, name: 'Alice' } }
  idp.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    Object.assign(token.payload, person.current)
  })
  const app = await build(t, { oauthProviders: { mock: { clientId: 'backend', clientSecret: 'backend-secret', issuer: idp.issuer.url! } }, ...overrides })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('no address')
  const base = `http://127.0.0.1:${address.port}`
  return { idp, app, base, person }
}

type Setup = Awaited<ReturnType<typeof setup>>

/** Login → provider → callback: returns the callback's response (and the URL it was sent to). */
async function throughProvider(s: Setup, browser: Browser) {
  const login = await browser.fetch(`${s.base}/api/v1/auth/mock/login`)
  if (login.status !== 302) throw new Error(`login: ${login.status} ${await login.text()}`)
  const authorize = new URL(login.headers.get('location')!)
  const back = await fetch(authorize, { redirect: 'manual' })
  if (back.status !== 302) throw new Error(`provider: ${back.status} ${await back.text()}`)
  const callbackUrl = back.headers.get('location')!
  const callback = await browser.fetch(callbackUrl)
  return { login, authorize, callbackUrl, callback }
}

/** The whole flow up to the session cookies; returns the signed-in user. */
async function signIn(s: Setup, browser: Browser) {
  const { callback } = await throughProvider(s, browser)
  if (callback.status !== 302) throw new Error(`callback: ${callback.status} ${await callback.text()}`)
  const handOverUrl = new URL(callback.headers.get('location')!, s.base)
  const handOver = await browser.fetch(handOverUrl.href)
  const token = handOverUrl.searchParams.get('token')!
  const validated = await browser.fetch(`${s.base}/api/v1/auth/validate-token?token=${encodeURIComponent(token)}`)
  if (validated.status !== 200) throw new Error(`validate-token: ${validated.status} ${await validated.text()}`)
  return { user: (await validated.json()) as { id: string; email: string; full_name: string | null; role: string }, token, handOver }
}

async function errorOf(res: Response) {
  const body = (await res.json()) as { detail: string; status_code: number; error_code: string }
  if (body.status_code !== res.status) throw new Error(`not a v1 error body: ${JSON.stringify(body)}`)
  return body
}

function userCount(app: FastifyInstance): number {
  return (app.database.sqlite.prepare('select count(*) as n from users').get() as { n: number }).n
}

t.test('a browser signs in with a provider: user created, cookies set, cookie-authenticated requests work', async (t) => {
  const s = await setup(t)
  const browser = new Browser()

  const { login, authorize } = await throughProvider(s, browser).then(async (r) => {
    t.equal(r.callback.status, 302)
    return r
  })
  // The authorization request: code flow with PKCE S256, state and nonce.
  t.equal(authorize.origin, new URL(s.idp.issuer.url!).origin)
  t.equal(authorize.searchParams.get('response_type'), 'code')
  t.equal(authorize.searchParams.get('code_challenge_method'), 'S256')
  t.ok(authorize.searchParams.get('code_challenge'))
  t.ok(authorize.searchParams.get('nonce'))
  t.equal(authorize.searchParams.get('redirect_uri'), `${s.base}/api/v1/auth/mock/callback`)
  t.match(authorize.searchParams.get('scope'), /openid/)
  t.ok(login.headers.getSetCookie().some((c) => /^oauth_state=.+HttpOnly/i.test(c) && /Path=\/api\/v1\/auth\/mock\/callback/.test(c)))

  // A fresh sign-in from start to cookies.
  const fresh = new Browser()
  const { user, handOver } = await signIn(s, fresh)
  t.equal(handOver.status, 200, 'without FRONTEND_URL our page finishes the sign-in')
  t.match(handOver.headers.get('content-type'), /text\/html/)
  t.match(handOver.headers.get('content-security-policy'), /script-src 'nonce-/)
  t.equal(user.email, 'alice@example.com')
  t.equal(user.full_name, 'Alice')
  t.equal(user.role, 'admin', 'the first account is an admin, however it was made')

  const access = fresh.lastSet.get('access_token')!
  const refresh = fresh.lastSet.get('refresh_token')!
  const csrf = fresh.lastSet.get('csrf_token')!
  t.ok(access.attributes.includes('httponly'), 'access_token is HttpOnly')
  t.ok(access.attributes.includes('samesite=lax'))
  t.equal(access.path, '/')
  t.notOk(access.attributes.includes('secure'), 'not Secure over plain http')
  t.ok(refresh.attributes.includes('httponly'), 'refresh_token is HttpOnly')
  t.ok(refresh.attributes.includes('samesite=lax'))
  t.equal(refresh.path, '/api/v1/auth/refresh', 'the refresh cookie goes only to the refresh route')
  t.notOk(csrf.attributes.includes('httponly'), 'csrf_token is readable by scripts')
  t.ok(csrf.value.length >= 32)

  const me = await fresh.fetch(`${s.base}/api/v1/auth/me`)
  t.equal(me.status, 200, 'a cookie-authenticated GET works')
  t.equal(((await me.json()) as { id: string }).id, user.id)
  const anonymous = await new Browser().fetch(`${s.base}/api/v1/auth/me`)
  t.equal(anonymous.status, 401)

  // Signing in again with the same provider subject finds the same account.
  const again = await signIn(s, new Browser())
  t.equal(again.user.id, user.id)
  t.equal(userCount(s.app), 1)
})

t.test('FRONTEND_URL receives the one-time token', async (t) => {
  const s = await setup(t, { frontendUrl: 'https://app.example/signed-in?from=api' })
  const browser = new Browser()
  const { callback } = await throughProvider(s, browser)
  const handOver = await browser.fetch(new URL(callback.headers.get('location')!, s.base).href)
  t.equal(handOver.status, 302)
  const to = new URL(handOver.headers.get('location')!)
  t.equal(to.origin + to.pathname, 'https://app.example/signed-in')
  t.equal(to.searchParams.get('from'), 'api', 'its own query is kept')
  const token = to.searchParams.get('token')!
  t.match(token, /^sit_/)
  const validated = await browser.fetch(`${s.base}/api/v1/auth/validate-token?token=${encodeURIComponent(token)}`)
  t.equal(validated.status, 200)
  t.ok(browser.jar.get('access_token'))
})

t.test('a wrong state, a callback from another browser and a replayed code are refused', async (t) => {
  const s = await setup(t)

  const browser = new Browser()
  const login = await browser.fetch(`${s.base}/api/v1/auth/mock/login`)
  const back = await fetch(new URL(login.headers.get('location')!), { redirect: 'manual' })
  const callbackUrl = new URL(back.headers.get('location')!)
  const wrong = new URL(callbackUrl)
  wrong.searchParams.set('state', 'not-the-state')
  const res = await browser.fetch(wrong.href)
  t.equal(res.status, 400)
  t.equal((await errorOf(res)).error_code, 'OAUTH_STATE_INVALID')
  t.notOk(browser.lastSet.get('access_token'))

  const elsewhere = new Browser()
  const other = await elsewhere.fetch(`${s.base}/api/v1/auth/mock/login`)
  const otherBack = await fetch(new URL(other.headers.get('location')!), { redirect: 'manual' })
  const stolen = await new Browser().fetch(otherBack.headers.get('location')!)
  t.equal(stolen.status, 400, 'a callback without the state cookie of the browser that started it')
  t.equal((await errorOf(stolen)).error_code, 'OAUTH_STATE_INVALID')

  // A finished sign-in cannot be replayed, even with the state cookie kept.
  const victim = new Browser()
  const done = await throughProvider(s, victim)
  t.equal(done.callback.status, 302)
  const stateCookie = done.login.headers
    .getSetCookie()
    .map(parseSetCookie)
    .find((c) => c.name === 'oauth_state')!
  victim.jar.set('oauth_state', stateCookie)
  const replay = await victim.fetch(done.callbackUrl)
  t.equal(replay.status, 400)
  t.equal((await errorOf(replay)).error_code, 'OAUTH_STATE_INVALID')
})

t.test('the one-time token works once', async (t) => {
  const s = await setup(t)
  const browser = new Browser()
  const { token } = await signIn(s, browser)
  const replay = await new Browser().fetch(`${s.base}/api/v1/auth/validate-token?token=${encodeURIComponent(token)}`)
  t.equal(replay.status, 401)
  t.equal((await errorOf(replay)).error_code, 'INVALID_TOKEN')
  t.equal(replay.headers.getSetCookie().length, 0, 'no cookie for a spent token')
  const made = await new Browser().fetch(`${s.base}/api/v1/auth/validate-token?token=sit_made-up`)
  t.equal(made.status, 401)
})

t.test('ALLOWED_EMAILS refuses anyone else before any session cookie; unverified emails are refused', async (t) => {
  const s = await setup(t, { allowedEmails: ['boss@corp.example', '@team.example'] })

  s.person.current = { sub: 'mallory', email: 'mallory@example.com', email_verified: true }
  const refused = await throughProvider(s, new Browser())
  t.equal(refused.callback.status, 403)
  const body = await errorOf(refused.callback)
  t.equal(body.error_code, 'EMAIL_NOT_ALLOWED')
  t.match(body.detail, /mallory@example\.com is not allowed/)
  const names = refused.callback.headers.getSetCookie().map((c) => parseSetCookie(c).name)
  t.notOk(names.includes('access_token') || names.includes('refresh_token') || names.includes('csrf_token'), 'no session cookie')
  t.equal(userCount(s.app), 0, 'no account was made')

  s.person.current = { sub: 'bob', email: 'Bob@Team.example', email_verified: true }
  t.equal((await signIn(s, new Browser())).user.email, 'Bob@Team.example', 'a listed @domain is let in')
  s.person.current = { sub: 'boss', email: 'boss@corp.example', email_verified: true }
  t.ok((await signIn(s, new Browser())).user.id, 'a listed address is let in')

  s.person.current = { sub: 'carol', email: 'carol@team.example', email_verified: false }
  const unverified = await throughProvider(s, new Browser())
  t.equal(unverified.callback.status, 403)
  t.equal((await errorOf(unverified.callback)).error_code, 'EMAIL_NOT_VERIFIED')

  s.person.current = { sub: 'dave' }
  const noEmail = await throughProvider(s, new Browser())
  t.equal(noEmail.callback.status, 403)
  t.equal((await errorOf(noEmail.callback)).error_code, 'EMAIL_NOT_VERIFIED')
  t.equal(userCount(s.app), 2)
})

t.test('an existing password account is linked by its verified email, not duplicated', async (t) => {
  const s = await setup(t)
  const existing = await signUp(s.app, 'erin@example.com')
  s.person.current = { sub: 'erin-at-provider', email: 'ERIN@example.com', email_verified: true }
  const { user } = await signIn(s, new Browser())
  t.equal(user.id, existing.id)
  t.equal(userCount(s.app), 1)
  // The link is by provider and subject from now on, whatever email the provider later gives.
  s.person.current = { sub: 'erin-at-provider', email: 'erin.new@example.com', email_verified: true }
  t.equal((await signIn(s, new Browser())).user.id, existing.id)
  // The password still works.
  const login = await s.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'erin@example.com', password: 'correct horse battery' } })
  t.equal(login.statusCode, 200)
})

t.test('cookie-authenticated writes need the CSRF token and an allowed Origin; bearer ones do not', async (t) => {
  const s = await setup(t, { corsOrigins: ['https://app.example'] })
  const browser = new Browser()
  await signIn(s, browser)
  const put = (headers: Record<string, string>) =>
    browser.fetch(`${s.base}/api/v1/users/me`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ full_name: 'Changed' })
    })

  const missing = await put({})
  t.equal(missing.status, 403)
  t.equal((await errorOf(missing)).error_code, 'CSRF_REJECTED')
  const wrong = await put({ 'x-csrf-token': `${browser.csrf().slice(0, -1)}x` })
  t.equal(wrong.status, 403)
  t.equal((await errorOf(wrong)).error_code, 'CSRF_REJECTED')
  const foreign = await put({ 'x-csrf-token': browser.csrf(), origin: 'https://evil.example' })
  t.equal(foreign.status, 403)
  t.match((await errorOf(foreign)).detail, /evil\.example/)
  const me = await browser.fetch(`${s.base}/api/v1/auth/me`)
  t.equal(((await me.json()) as { full_name: string }).full_name, 'Alice', 'nothing was changed by the refused requests')

  t.equal((await put({ 'x-csrf-token': browser.csrf() })).status, 200, 'the token, no Origin')
  t.equal((await put({ 'x-csrf-token': browser.csrf(), origin: s.base })).status, 200, 'our own origin')
  t.equal((await put({ 'x-csrf-token': browser.csrf(), origin: 'https://app.example' })).status, 200, 'an origin in CORS_ORIGINS')

  // A bearer caller has nothing to do with cookies or CSRF.
  const bob = await signUp(s.app, 'bob@example.com')
  const bearer = await fetch(`${s.base}/api/v1/users/me`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: bob.auth.authorization, origin: 'https://evil.example' },
    body: JSON.stringify({ full_name: 'Bob' })
  })
  t.equal(bearer.status, 200)
})

t.test('refresh reads the cookie; logout clears the cookies and ends the session', async (t) => {
  const s = await setup(t)
  const browser = new Browser()
  await signIn(s, browser)
  const csrfBefore = browser.csrf()
  const firstRefresh = browser.jar.get('refresh_token')!.value

  const noCsrf = await browser.fetch(`${s.base}/api/v1/auth/refresh`, { method: 'POST' })
  t.equal(noCsrf.status, 403, 'a cookie refresh is a cookie-authenticated write')
  const refreshed = await browser.fetch(`${s.base}/api/v1/auth/refresh`, { method: 'POST', headers: { 'x-csrf-token': browser.csrf() } })
  t.equal(refreshed.status, 204)
  t.equal(await refreshed.text(), '', 'no token in a body scripts can read')
  t.ok(browser.lastSet.get('access_token')?.value, 'a new access cookie')
  t.not(browser.jar.get('refresh_token')!.value, firstRefresh, 'a new refresh cookie: the old one is spent')
  t.equal(browser.lastSet.get('csrf_token')?.value, csrfBefore, 'the session keeps its CSRF token')
  t.equal((await browser.fetch(`${s.base}/api/v1/auth/me`)).status, 200)

  const noCookie = await new Browser().fetch(`${s.base}/api/v1/auth/refresh`, { method: 'POST' })
  t.equal(noCookie.status, 401)

  const refused = await browser.fetch(`${s.base}/api/v1/auth/logout`, { method: 'POST' })
  t.equal(refused.status, 403, 'logout with cookies needs the CSRF token too')
  const access = browser.jar.get('access_token')!.value
  const refresh = browser.jar.get('refresh_token')!.value
  const out = await browser.fetch(`${s.base}/api/v1/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': browser.csrf() } })
  t.equal(out.status, 204)
  for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
    const set = browser.lastSet.get(name)
    t.ok(set && set.value === '', `${name} is cleared`)
    t.notOk(browser.jar.has(name))
  }
  t.equal(browser.lastSet.get('refresh_token')?.path, '/api/v1/auth/refresh', 'cleared on the path it was set with')

  // The old cookies no longer work, even if kept.
  const me = await fetch(`${s.base}/api/v1/auth/me`, { headers: { cookie: `access_token=${access}` } })
  t.equal(me.status, 401)
  const stale = await s.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: refresh } })
  t.equal(stale.statusCode, 401)
})

t.test('Secure cookies behind an https proxy, when it is trusted', async (t) => {
  for (const trustProxy of [true, false]) {
    const app = await build(t, { trustProxy })
    const account = await signUp(app, 'proxied@example.com')
    const { token } = app.services.browserSignIn.issueSignInToken(account.id)
    const res = await app.inject({ method: 'GET', url: `/api/v1/auth/validate-token?token=${token}`, headers: { 'x-forwarded-proto': 'https' } })
    t.equal(res.statusCode, 200)
    const cookies = (res.headers['set-cookie'] as string[]).map(parseSetCookie)
    t.equal(cookies.length, 3)
    for (const c of cookies) t.equal(c.attributes.includes('secure'), trustProxy, `${c.name}: Secure only through a trusted proxy (${trustProxy})`)
  }
  const behind = await build(t, { baseUrl: 'https://api.example' })
  const account = await signUp(behind, 'based@example.com')
  const { token } = behind.services.browserSignIn.issueSignInToken(account.id)
  const res = await behind.inject({ method: 'GET', url: `/api/v1/auth/validate-token?token=${token}` })
  t.ok(
    (res.headers['set-cookie'] as string[]).every((c) => /;\s*Secure/i.test(c)),
    'an https BASE_URL makes them Secure'
  )
})

t.test('an unknown provider is a 404 in the v1 error body; the OpenAPI document lists the cookie scheme', async (t) => {
  const s = await setup(t)
  const unknown = await fetch(`${s.base}/api/v1/auth/github/login`, { redirect: 'manual' })
  t.equal(unknown.status, 404)
  const body = await errorOf(unknown)
  t.equal(body.error_code, 'OAUTH_PROVIDER_NOT_FOUND')
  t.match(body.detail, /github.*configured: mock/)
  t.equal((await fetch(`${s.base}/api/v1/auth/github/callback?code=x&state=y`, { redirect: 'manual' })).status, 404)

  const doc = s.app.surfaces.document('v1') as {
    components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> }
    paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>
  }
  t.same(doc.components.securitySchemes.cookieAuth && { ...doc.components.securitySchemes.cookieAuth, description: undefined }, {
    type: 'apiKey',
    in: 'cookie',
    name: 'access_token',
    description: undefined
  })
  t.same(doc.paths['/api/v1/auth/me']?.get?.security, [{ bearerAuth: [] }, { cookieAuth: [] }], 'either scheme signs a caller in')
  for (const path of [
    '/api/v1/auth/{provider}/login',
    '/api/v1/auth/{provider}/callback',
    '/api/v1/auth/login-success-redirect',
    '/api/v1/auth/validate-token'
  ]) {
    t.ok(doc.paths[path]?.get, `${path} is documented`)
    t.same(doc.paths[path]?.get?.security, [], `${path} is public`)
  }
  t.ok(doc.paths['/api/v1/auth/{provider}/callback']?.get?.responses['403'])
})

t.test('under BASE_PATH the redirect URI, the redirects and the cookie paths carry the prefix', async (t) => {
  const s = await setup(t, { basePath: '/base' })
  const api = `${s.base}/base/api/v1`
  const browser = new Browser()

  t.equal((await browser.fetch(`${s.base}/api/v1/auth/mock/login`)).status, 404, 'nothing answers outside the prefix')
  const login = await browser.fetch(`${api}/auth/mock/login`)
  t.equal(login.status, 302)
  const authorize = new URL(login.headers.get('location')!)
  t.equal(authorize.searchParams.get('redirect_uri'), `${api}/auth/mock/callback`, 'the provider sends the browser back through the prefix')
  t.equal(browser.lastSet.get('oauth_state')?.path, '/base/api/v1/auth/mock/callback')

  const back = await fetch(authorize, { redirect: 'manual' })
  const callbackUrl = new URL(back.headers.get('location')!)
  t.equal(callbackUrl.pathname, '/base/api/v1/auth/mock/callback')
  const callback = await browser.fetch(callbackUrl.href)
  t.equal(callback.status, 302, 'the state cookie reached the callback under the prefix')
  const handOverUrl = new URL(callback.headers.get('location')!, s.base)
  t.equal(handOverUrl.pathname, '/base/api/v1/auth/login-success-redirect')
  const handOver = await browser.fetch(handOverUrl.href)
  t.equal(handOver.status, 200)
  t.match(await handOver.text(), /fetch\('validate-token\?token=/, 'the page spends the token beside itself, under the prefix')

  const token = handOverUrl.searchParams.get('token')!
  const validated = await browser.fetch(`${api}/auth/validate-token?token=${encodeURIComponent(token)}`)
  t.equal(validated.status, 200)
  t.equal(browser.lastSet.get('access_token')?.path, '/base', 'the access cookie goes to the service only')
  t.equal(browser.lastSet.get('refresh_token')?.path, '/base/api/v1/auth/refresh', 'the refresh cookie only to the refresh route')
  t.equal(browser.lastSet.get('csrf_token')?.path, '/', 'the CSRF token is readable by a page anywhere on the host')

  t.equal((await browser.fetch(`${api}/auth/me`)).status, 200, 'the cookie signs the browser in under the prefix')
  const refreshed = await browser.fetch(`${api}/auth/refresh`, { method: 'POST', headers: { 'x-csrf-token': browser.csrf() } })
  t.equal(refreshed.status, 204, 'the refresh cookie reached the refresh route')
  t.equal(browser.lastSet.get('refresh_token')?.path, '/base/api/v1/auth/refresh')
  const out = await browser.fetch(`${api}/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': browser.csrf() } })
  t.equal(out.status, 204)
  t.same(
    ['access_token', 'refresh_token', 'csrf_token'].map((name) => browser.lastSet.get(name)?.path),
    ['/base', '/base/api/v1/auth/refresh', '/'],
    'cleared on the paths they were set with'
  )
  t.equal(browser.jar.size, 0)
})
