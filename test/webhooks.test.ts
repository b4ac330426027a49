import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { type Config, testConfig } from '../src/config.js'
import { webhooks as webhooksTable } from '../src/db/schema.js'
import { newId, nowIso } from '../src/domain/clock.js'
import { backoffDelay, type DispatcherOptions, parseRetryAfter, WebhookDispatcher } from '../src/webhooks/dispatcher.js'
import { at, signUp, v1Error } from './helper.js'

interface Tap {
  teardown(fn: () => unknown): void
}

const FAST: Partial<DispatcherOptions> = { pollIntervalMs: 20, backoffBaseMs: 5, backoffMaxMs: 20, retryAfterMaxMs: 20, timeoutMs: 2000 }

async function app(t: Tap, config: Partial<Config> = {}, dispatcher: Partial<DispatcherOptions> = {}) {
  const a = await buildApp({ config: testConfig({ webhookAllowPrivate: true, ...config }), webhookDispatcher: { ...FAST, ...dispatcher } })
  t.teardown(() => a.close())
  await a.ready()
  return a
}

interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
  status: number
}

/** A local receiver on 127.0.0.1: `respond` decides each answer. */
async function receiver(t: Tap, respond: (r: Omit<Received, 'status'>, res: ServerResponse) => number = () => 200) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const r = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString() }
      const status = respond(r, res)
      received.push({ ...r, status })
      res.statusCode = status
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.address() as AddressInfo).port
  return { url: `http://127.0.0.1:${port}/hook`, port, received }
}

/** Waits (bounded) until `check` holds. */
async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = await check()
    if (v) return v
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`gave up waiting for ${what}`)
}

t.test('webhook CRUD is owner-scoped and the secret is shown once', async (t) => {
  const a = await app(t)
  const alice = await signUp(a)
  const bob = await signUp(a)

  const created = await a.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: alice.auth,
    payload: { url: 'http://127.0.0.1:9/x', events: ['user.updated', 'message.received'] }
  })
  t.equal(created.statusCode, 201)
  const hook = created.json()
  t.match(hook, { url: 'http://127.0.0.1:9/x', events: ['user.updated', 'message.received'], is_active: true, consecutive_failures: 0 })
  t.match(hook.secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a generated Standard Webhooks secret')
  t.doesNotThrow(() => new Webhook(hook.secret))

  const got = await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, headers: alice.auth })
  t.equal(got.statusCode, 200)
  t.notOk('secret' in got.json(), 'the secret is never shown again')
  const list = await a.inject({ method: 'GET', url: '/api/v1/webhooks', headers: alice.auth })
  t.equal(list.json().total, 1)
  t.notOk('secret' in list.json().items[0])

  for (const [method, url, payload] of [
    ['GET', `/api/v1/webhooks/${hook.id}`, undefined],
    ['PATCH', `/api/v1/webhooks/${hook.id}`, { description: 'mine now' }],
    ['DELETE', `/api/v1/webhooks/${hook.id}`, undefined],
    ['GET', `/api/v1/webhooks/${hook.id}/deliveries`, undefined],
    ['POST', `/api/v1/webhooks/${hook.id}/test`, undefined]
  ] as const) {
    const res = await a.inject({ method, url, headers: bob.auth, payload })
    t.equal(res.statusCode, 404, `${method} ${url} by another user is 404`)
    t.equal(v1Error(res).error_code, 'WEBHOOK_NOT_FOUND')
  }
  t.equal((await a.inject({ method: 'GET', url: '/api/v1/webhooks', headers: bob.auth })).json().total, 0)

  const badEvent = await a.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: alice.auth,
    payload: { url: 'http://127.0.0.1:9/', events: ['user.deleted'] }
  })
  t.equal(badEvent.statusCode, 422)
  const noEvents = await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: alice.auth, payload: { url: 'http://127.0.0.1:9/', events: [] } })
  t.equal(noEvents.statusCode, 422)
  const ftp = await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: alice.auth, payload: { url: 'ftp://example.com/', events: ['user.created'] } })
  t.equal(ftp.statusCode, 422)

  const patched = await a.inject({
    method: 'PATCH',
    url: `/api/v1/webhooks/${hook.id}`,
    headers: alice.auth,
    payload: { events: ['user.created'], is_active: false }
  })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { events: ['user.created'], is_active: false })
  const testDisabled = await a.inject({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/test`, headers: alice.auth })
  t.equal(testDisabled.statusCode, 409)

  const del = await a.inject({ method: 'DELETE', url: `/api/v1/webhooks/${hook.id}`, headers: alice.auth })
  t.equal(del.statusCode, 204)
  t.equal((await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, headers: alice.auth })).statusCode, 404)
})

t.test('deliveries are signed per Standard Webhooks and verify with the standardwebhooks package', async (t) => {
  const a = await app(t)
  const rx = await receiver(t)
  const admin = await signUp(a)
  const generated = (
    await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: admin.auth, payload: { url: rx.url, events: ['user.created', 'user.updated'] } })
  ).json()
  const raw = (
    await a.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: admin.auth,
      payload: { url: `${rx.url}?raw`, events: ['user.updated'], secret: 'webhook-secret' }
    })
  ).json()
  t.equal(raw.secret, 'webhook-secret')

  const bob = await signUp(a, 'bob@example.com')
  await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: admin.auth, payload: { full_name: 'Ada' } })
  await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: bob.auth, payload: { full_name: 'Bob' } })

  await until(() => rx.received.length >= 3 || undefined, 'three deliveries')
  await a.webhookDispatcher.idle()
  t.equal(rx.received.length, 3, "user.created of bob to the admin's hook, and the admin's own user.updated to both hooks; never bob's update")

  const verified = rx.received.map((r) => {
    const wh = r.path.endsWith('?raw') ? new Webhook('webhook-secret', { format: 'raw' }) : new Webhook(generated.secret)
    t.match(r.headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/)
    t.match(r.headers['webhook-id'], /^msg_/)
    t.equal(r.headers['content-type'], 'application/json')
    return wh.verify(r.body, r.headers as Record<string, string>) as { event: string; timestamp: string; data: Record<string, unknown> }
  })
  const created = verified.find((v) => v.event === 'user.created')!
  t.match(created, { event: 'user.created', timestamp: /^\d{4}-\d\d-\d\dT.*Z$/, data: { user_id: bob.id, user: { email: 'bob@example.com' } } })
  t.notOk(JSON.stringify(created).includes('password'), 'no hash in a payload')
  const updates = verified.filter((v) => v.event === 'user.updated')
  t.equal(updates.length, 2)
  for (const u of updates) t.match(u.data, { user_id: admin.id, user: { full_name: 'Ada' } })

  // A tampered body or a wrong secret does not verify.
  const first = at(rx.received, 0, 'delivery')
  t.throws(() => new Webhook(generated.secret).verify(`${first.body} `, first.headers as Record<string, string>))
  t.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(first.body, first.headers as Record<string, string>))

  const log = await a.inject({ method: 'GET', url: `/api/v1/webhooks/${generated.id}/deliveries`, headers: admin.auth })
  t.equal(log.statusCode, 200)
  t.equal(log.json().total, 2)
  for (const d of log.json().items) t.match(d, { status: 'succeeded', attempts: 1, last_status_code: 200, next_attempt_at: null, delivered_at: String })
  const filtered = await a.inject({ method: 'GET', url: `/api/v1/webhooks/${generated.id}/deliveries?status=failed`, headers: admin.auth })
  t.equal(filtered.json().total, 0)
})

t.test('a receiver that fails twice then succeeds gets exactly one successful delivery per event', async (t) => {
  const a = await app(t)
  const tries = new Map<string, number>()
  const rx = await receiver(t, (r, res) => {
    const id = r.headers['webhook-id'] as string
    const n = (tries.get(id) ?? 0) + 1
    tries.set(id, n)
    if (n === 1) return 500
    if (n === 2) {
      res.setHeader('retry-after', '0')
      return 503
    }
    return 204
  })
  const acct = await signUp(a)
  const hook = (await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: acct.auth, payload: { url: rx.url, events: ['user.updated'] } })).json()
  for (const name of ['A', 'B', 'C']) await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { full_name: name } })

  const done = await until(async () => {
    const page = (await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries`, headers: acct.auth })).json()
    return page.items.length === 3 && page.items.every((d: { status: string }) => d.status === 'succeeded') ? page : undefined
  }, 'three succeeded deliveries')
  await a.webhookDispatcher.idle()

  const successes = rx.received.filter((r) => r.status === 204)
  t.equal(successes.length, 3, 'one success per event')
  t.equal(new Set(successes.map((r) => r.headers['webhook-id'])).size, 3, 'each event succeeded once')
  t.equal(rx.received.length, 9, 'two failures and one success each')
  for (const [, n] of tries) t.equal(n, 3)
  for (const d of done.items) t.match(d, { attempts: 3, last_status_code: 204, last_error: null })
  const names = successes.map((r) => (JSON.parse(r.body) as { data: { user: { full_name: string } } }).data.user.full_name).sort()
  t.same(names, ['A', 'B', 'C'])
  const successId = at(successes, 0, 'success').headers['webhook-id']
  const sameBody = rx.received.filter((r) => r.headers['webhook-id'] === successId)
  t.ok(
    sameBody.every((r) => r.body === sameBody[0]?.body),
    'every attempt carries the same body and webhook-id'
  )

  const metrics = (await a.inject({ method: 'GET', url: '/internal/metrics' })).body
  t.match(metrics, /webhook_delivery_attempts_total\{outcome="success"\} 3/)
  t.match(metrics, /webhook_delivery_attempts_total\{outcome="retry"\} 6/)
  t.equal((await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, headers: acct.auth })).json().consecutive_failures, 0)
})

t.test('Retry-After is honoured', async (t) => {
  const a = await app(t, {}, { retryAfterMaxMs: 3600_000 })
  const rx = await receiver(t, (_r, res) => {
    res.setHeader('retry-after', '1800')
    return 429
  })
  const acct = await signUp(a)
  const hook = (await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: acct.auth, payload: { url: rx.url, events: ['user.updated'] } })).json()
  await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { full_name: 'Later' } })
  const d = await until(async () => {
    const items = (await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries`, headers: acct.auth })).json().items
    return items[0]?.attempts === 1 ? items[0] : undefined
  }, 'one attempt')
  t.equal(d.status, 'pending')
  t.equal(d.last_status_code, 429)
  const wait = Date.parse(d.next_attempt_at) - Date.parse(d.updated_at)
  t.ok(wait >= 1799_000 && wait <= 1801_000, `the next attempt waits 30 minutes (${wait} ms)`)
  t.equal(rx.received.length, 1)

  t.equal(parseRetryAfter('120'), 120_000)
  t.equal(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString(), Date.now())! > 55_000, true)
  t.equal(parseRetryAfter('soon'), undefined)
  const delays = [1, 2, 3, 4].map((n) => backoffDelay(n, 1000, 5000, () => 1))
  t.same(delays, [1000, 2000, 4000, 5000], 'exponential, capped')
  t.equal(
    backoffDelay(3, 1000, 60_000, () => 0),
    2000,
    'jitter takes up to half off'
  )
})

t.test('redirects are not followed, and a webhook that keeps failing is disabled', async (t) => {
  const a = await app(t, {}, { maxAttempts: 2, disableAfterFailures: 2 })
  const rx = await receiver(t, (r, res) => {
    if (r.path.startsWith('/elsewhere')) return 200
    res.setHeader('location', '/elsewhere')
    return 302
  })
  const acct = await signUp(a)
  const hook = (await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: acct.auth, payload: { url: rx.url, events: ['user.updated'] } })).json()
  const failedCount = async () =>
    (await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries?status=failed`, headers: acct.auth })).json().total as number

  await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { full_name: 'One' } })
  await until(async () => (await failedCount()) === 1, 'first failed delivery')
  let got = (await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, headers: acct.auth })).json()
  t.match(got, { is_active: true, consecutive_failures: 1 })
  const log = (await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries`, headers: acct.auth })).json()
  t.match(log.items[0], { status: 'failed', attempts: 2, last_status_code: 302, last_error: /Redirect \(302\) not followed/ })

  await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { full_name: 'Two' } })
  await until(async () => (await failedCount()) === 2, 'second failed delivery')
  got = (await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, headers: acct.auth })).json()
  t.match(got, { is_active: false, consecutive_failures: 2, disabled_at: String, disabled_reason: /failed deliveries/ })
  t.notOk(
    rx.received.some((r) => r.path.startsWith('/elsewhere')),
    'the redirect target was never called'
  )
  t.equal(rx.received.length, 4)

  // Disabled: no new deliveries are queued for it; re-enabling resets the count.
  await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { full_name: 'Three' } })
  t.equal((await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries`, headers: acct.auth })).json().total, 2)
  const enabled = await a.inject({ method: 'PATCH', url: `/api/v1/webhooks/${hook.id}`, headers: acct.auth, payload: { is_active: true } })
  t.match(enabled.json(), { is_active: true, consecutive_failures: 0, disabled_at: null, disabled_reason: null })
})

t.test('test pings and redelivery', async (t) => {
  const a = await app(t)
  const rx = await receiver(t)
  const acct = await signUp(a)
  const other = await signUp(a)
  const hook = (await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: acct.auth, payload: { url: rx.url, events: ['user.created'] } })).json()
  const otherHook = (
    await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: other.auth, payload: { url: `${rx.url}/other`, events: ['user.created'] } })
  ).json()

  const ping = await a.inject({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/test`, headers: acct.auth })
  t.equal(ping.statusCode, 202)
  t.match(ping.json(), { event: 'webhook.test', status: 'pending', webhook_id: hook.id })
  await until(() => rx.received.length === 1 || undefined, 'the ping')
  const pinged = at(rx.received, 0, 'delivery')
  const body = new Webhook(hook.secret).verify(pinged.body, pinged.headers as Record<string, string>)
  t.match(body, { event: 'webhook.test', data: { webhook_id: hook.id } })
  t.equal(pinged.path, '/hook', 'only the webhook asked for hears the ping')

  const again = await a.inject({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/deliveries/${ping.json().id}/redeliver`, headers: acct.auth })
  t.equal(again.statusCode, 202)
  t.not(again.json().id, ping.json().id)
  t.equal(again.json().message_id, ping.json().message_id, 'the same webhook-id, so receivers can deduplicate')
  await until(() => rx.received.length === 2 || undefined, 'the redelivery')
  const redelivered = at(rx.received, 1, 'delivery')
  t.equal(redelivered.body, pinged.body)
  t.equal(redelivered.headers['webhook-id'], pinged.headers['webhook-id'])
  t.equal((await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries`, headers: acct.auth })).json().total, 2)

  const foreign = await a.inject({ method: 'POST', url: `/api/v1/webhooks/${otherHook.id}/deliveries/${ping.json().id}/redeliver`, headers: other.auth })
  t.equal(foreign.statusCode, 404, "a delivery of another webhook can't be redelivered through one's own")
  t.equal(v1Error(foreign).error_code, 'WEBHOOK_DELIVERY_NOT_FOUND')
})

t.test('deliveries are in the outbox with the event, and a restarted dispatcher sends them', async (t) => {
  const a = await app(t)
  const rx = await receiver(t)
  const acct = await signUp(a)
  const hook = (await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: acct.auth, payload: { url: rx.url, events: ['user.updated'] } })).json()
  await a.webhookDispatcher.stop() // the process "dies"
  await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { full_name: 'Durable' } })
  const log = (await a.inject({ method: 'GET', url: `/api/v1/webhooks/${hook.id}/deliveries`, headers: acct.auth })).json()
  t.equal(log.total, 1)
  t.match(log.items[0], { status: 'pending', attempts: 0, event: 'user.updated' })
  t.equal(rx.received.length, 0)

  const revived = new WebhookDispatcher(a.database.db, { ...FAST, allowPrivate: true })
  t.teardown(() => revived.stop())
  revived.start()
  await until(() => rx.received.length === 1 || undefined, 'the delivery after restart')
  await revived.idle()
  t.match(JSON.parse(at(rx.received, 0, 'delivery').body), { event: 'user.updated', data: { user: { full_name: 'Durable' } } })
})

t.test('private and loopback addresses are refused unless allowed, at create time and at connect time', async (t) => {
  const a = await app(t, { webhookAllowPrivate: false }, { maxAttempts: 1 })
  const rx = await receiver(t)
  const acct = await signUp(a)
  for (const url of [
    rx.url,
    `http://localhost:${rx.port}/hook`,
    'http://[::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://[::127.0.0.1]/x',
    'http://[64:ff9b::a9fe:a9fe]/x',
    'http://169.254.169.254/latest/meta-data',
    'http://10.0.0.1/',
    'http://0.0.0.0/'
  ]) {
    const res = await a.inject({ method: 'POST', url: '/api/v1/webhooks', headers: acct.auth, payload: { url, events: ['user.updated'] } })
    t.equal(res.statusCode, 422, `${url} is refused`)
    t.equal(v1Error(res).error_code, 'WEBHOOK_URL_NOT_ALLOWED')
  }
  t.equal((await a.inject({ method: 'GET', url: '/api/v1/webhooks', headers: acct.auth })).json().total, 0)

  // A host that passed the check and later resolves to loopback (DNS rebinding) is refused when connecting.
  const now = nowIso()
  for (const url of [`http://localhost:${rx.port}/hook`, rx.url]) {
    a.database.db
      .insert(webhooksTable)
      .values({
        id: newId(),
        ownerId: acct.id,
        url,
        events: ['user.updated'],
        secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        createdAt: now,
        updatedAt: now
      })
      .run()
  }
  await a.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { full_name: 'Rebound' } })
  const hooks = (await a.inject({ method: 'GET', url: '/api/v1/webhooks', headers: acct.auth })).json().items as { id: string }[]
  t.equal(hooks.length, 2)
  for (const h of hooks) {
    const d = await until(async () => {
      const items = (await a.inject({ method: 'GET', url: `/api/v1/webhooks/${h.id}/deliveries`, headers: acct.auth })).json().items
      return items[0]?.status === 'failed' ? items[0] : undefined
    }, 'a refused delivery')
    t.match(d, { last_status_code: null, last_error: /not public/ })
  }
  t.equal(rx.received.length, 0, 'nothing reached the loopback receiver')
})
