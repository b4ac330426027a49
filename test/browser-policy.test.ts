import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { build, signUp } from './helper.js'

const ALLOWED = 'https://app.example'
const REFUSED = 'https://evil.example'

/** Every method some registered route is served under, read from the router (not from a list of ours). */
function routedMethods(app: FastifyInstance): Set<string> {
  const methods = new Set<string>()
  for (const [, group] of app.printRoutes({ commonPrefix: false }).matchAll(/\(([A-Z, ]+)\)/g)) {
    for (const m of group!.split(',')) methods.add(m.trim())
  }
  methods.delete('OPTIONS')
  return methods
}

/** A concrete path served under each method, from the surfaces' documents (HEAD rides on GET). */
function pathPerMethod(app: FastifyInstance): Map<string, string> {
  const found = new Map<string, string>()
  for (const surface of app.surfaces.list()) {
    const doc = app.surfaces.document(surface.name) as { paths: Record<string, Record<string, unknown>> }
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        const upper = method.toUpperCase()
        if (!found.has(upper)) found.set(upper, path.replace(/\{[^}]+\}/g, 'x'))
      }
    }
  }
  const get = found.get('GET')
  if (get) found.set('HEAD', get)
  return found
}

t.test('a browser on an allowed origin may use every method the API is served under', async (t) => {
  const app = await build(t, { corsOrigins: [ALLOWED] })
  const methods = routedMethods(app)
  for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) t.ok(methods.has(m), `the router serves ${m}`)
  const paths = pathPerMethod(app)
  const requestHeaders = 'authorization,content-type,idempotency-key,x-csrf-token'

  for (const method of methods) {
    const url = paths.get(method)
    if (!url) {
      t.fail(`no documented path is served under ${method}`)
      continue
    }
    const allowed = await app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: ALLOWED, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders }
    })
    t.equal(allowed.statusCode, 204, `preflight of ${method} ${url}`)
    t.equal(allowed.headers['access-control-allow-origin'], ALLOWED, `${method}: the origin is granted`)
    t.equal(allowed.headers['access-control-allow-credentials'], 'true')
    const granted = String(allowed.headers['access-control-allow-methods'])
      .split(',')
      .map((s) => s.trim())
    t.ok(granted.includes(method), `${method} is among the allowed methods (${granted.join(', ')})`)
    const grantedHeaders = String(allowed.headers['access-control-allow-headers']).toLowerCase()
    for (const h of requestHeaders.split(',')) t.ok(grantedHeaders.includes(h), `${method}: ${h} may be sent`)

    const refused = await app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: REFUSED, 'access-control-request-method': method, 'access-control-request-headers': requestHeaders }
    })
    t.notOk(refused.headers['access-control-allow-origin'], `${method}: an origin outside CORS_ORIGINS is not granted`)
  }
})

t.test('a browser on an allowed origin reads the headers the API answers with', async (t) => {
  const app = await build(t, { corsOrigins: [ALLOWED] })
  const ada = await signUp(app)
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/assistants',
    headers: { ...ada.auth, origin: ALLOWED, 'idempotency-key': 'k1' },
    payload: { name: 'Helper' }
  })
  t.equal(created.statusCode, 201)
  t.equal(created.headers['access-control-allow-origin'], ALLOWED)
  const exposed = String(created.headers['access-control-expose-headers'])
    .split(',')
    .map((s) => s.trim().toLowerCase())
  for (const h of [
    'idempotent-replayed',
    'x-request-id',
    'retry-after',
    'x-ratelimit-limit',
    'x-ratelimit-remaining',
    'x-ratelimit-reset',
    'location',
    'etag'
  ]) {
    t.ok(exposed.includes(h), `${h} is exposed`)
  }

  // The writes a browser could not make through CORS before: PUT and DELETE.
  const id = created.json().id
  const put = await app.inject({ method: 'PUT', url: `/api/v1/assistants/${id}`, headers: { ...ada.auth, origin: ALLOWED }, payload: { name: 'Renamed' } })
  t.equal(put.statusCode, 200)
  t.equal(put.headers['access-control-allow-origin'], ALLOWED)
  const del = await app.inject({ method: 'DELETE', url: `/api/v1/assistants/${id}`, headers: { ...ada.auth, origin: ALLOWED } })
  t.equal(del.statusCode, 204)
  t.equal(del.headers['access-control-allow-origin'], ALLOWED)
})

t.test('upgrade-insecure-requests and HSTS only over https', async (t) => {
  const behindProxy = await build(t, { trustProxy: true })
  const direct = await build(t)
  for (const url of ['/docs', '/api/v1/health', '/openapi.json']) {
    const http = await behindProxy.inject({ url })
    t.ok(http.headers['content-security-policy'], `${url}: a content security policy is sent`)
    t.notMatch(String(http.headers['content-security-policy']), /upgrade-insecure-requests/, `${url} over http: no upgrade-insecure-requests`)
    t.notOk(http.headers['strict-transport-security'], `${url} over http: no HSTS`)

    const https = await behindProxy.inject({ url, headers: { 'x-forwarded-proto': 'https' } })
    t.match(String(https.headers['content-security-policy']), /(^|;)\s*upgrade-insecure-requests/, `${url} over https: upgrade-insecure-requests`)
    t.match(String(https.headers['strict-transport-security']), /^max-age=\d+/, `${url} over https: HSTS`)

    const untrusted = await direct.inject({ url, headers: { 'x-forwarded-proto': 'https' } })
    t.notOk(untrusted.headers['strict-transport-security'], `${url}: X-Forwarded-Proto from a proxy that is not trusted is not believed`)
  }
  const page = await behindProxy.inject({ url: '/docs', headers: { host: '192.0.2.10:3000' } })
  t.equal(page.statusCode, 200, '/docs answers through any host name')
  t.match(page.body, /<script src="\/docs\/static\/swagger-ui-bundle.js"/, 'its scripts are loaded from the same origin, by path')
  t.match(String(page.headers['content-security-policy']), /img-src 'self' data: validator\.swagger\.io/, "Swagger UI's own policy")
})

t.test("every answer carries helmet's headers, the docs pages with their own policy", async (t) => {
  const app = await build(t)
  for (const url of ['/api/v1/health', '/api/v1/no-such-route', '/docs']) {
    const res = await app.inject({ url })
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: x-content-type-options`)
    t.equal(res.headers['x-frame-options'], 'SAMEORIGIN', `${url}: x-frame-options`)
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${url}: referrer-policy`)
    t.equal(res.headers['cross-origin-opener-policy'], 'same-origin', `${url}: cross-origin-opener-policy`)
    t.equal(res.headers['cross-origin-resource-policy'], 'same-origin', `${url}: cross-origin-resource-policy`)
    t.match(String(res.headers['content-security-policy']), /^default-src 'self';/, `${url}: a content security policy`)
    t.notOk(res.headers['x-powered-by'], `${url}: nothing says what serves it`)
  }
  const api = String((await app.inject({ url: '/api/v1/health' })).headers['content-security-policy'])
  const docs = String((await app.inject({ url: '/docs' })).headers['content-security-policy'])
  t.notMatch(api, /unsafe-eval/, "the API's policy allows no eval")
  t.match(docs, /script-src 'self' 'unsafe-eval'/, "the docs pages' policy is their own")
  t.equal(String((await app.inject({ url: '/api/v1/health' })).headers['content-security-policy']), api, 'the same policy on every answer')
})
