import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { build, signUp, v1Error } from './helper.js'

t.test('built-in tools are listed and readable by anyone signed in', async (t) => {
  const app = await build(t)
  await signUp(app)
  const u = await signUp(app)
  const list = await app.inject({ method: 'GET', url: '/api/v1/tools', headers: u.auth })
  t.equal(list.statusCode, 200)
  t.match(list.json(), { total: 2, page: 1, has_next: false })
  t.same(
    list.json().items.map((x: { id: string }) => x.id),
    ['current_time', 'calculator']
  )
  const calc = await app.inject({ method: 'GET', url: '/api/v1/tools/calculator', headers: u.auth })
  t.match(calc.json(), {
    id: 'calculator',
    name: 'calculator',
    category: 'math',
    kind: 'builtin',
    parameters: { type: 'object', required: ['expression'] },
    created_at: null
  })
  const missing = await app.inject({ method: 'GET', url: '/api/v1/tools/web_search', headers: u.auth })
  t.equal(missing.statusCode, 404)
  t.equal(v1Error(missing).error_code, 'TOOL_NOT_FOUND')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/tools' })).statusCode, 401)
  const byCategory = await app.inject({ method: 'GET', url: '/api/v1/tools?category=math', headers: u.auth })
  t.same(
    byCategory.json().items.map((x: { id: string }) => x.id),
    ['calculator']
  )
})

t.test('custom HTTP tools: admin only, address guard, and a run through an assistant', async (t) => {
  const calls: { url?: string; body: string }[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      calls.push({ url: req.url, body })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ forecast: 'sunny' }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const { port } = server.address() as AddressInfo

  const tool = {
    name: 'weather',
    description: 'The weather in a city',
    category: 'search',
    parameters: { city: { type: 'string', required: true, description: 'City name' } },
    url: `http://127.0.0.1:${port}/weather`,
    method: 'POST'
  }

  t.test('with the guard on (default)', async (t) => {
    const app = await build(t)
    const admin = await signUp(app)
    const user = await signUp(app)
    const asUser = await app.inject({ method: 'POST', url: '/api/v1/tools', headers: user.auth, payload: tool })
    t.equal(asUser.statusCode, 403)
    t.equal(v1Error(asUser).error_code, 'ADMIN_REQUIRED')
    for (const url of [
      tool.url,
      'http://localhost/x',
      'http://169.254.169.254/latest',
      'http://[::ffff:127.0.0.1]/',
      'http://[::127.0.0.1]/',
      'ftp://example.com/'
    ]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/tools', headers: admin.auth, payload: { ...tool, url } })
      t.equal(res.statusCode, 422, url)
      t.ok(['ADDRESS_NOT_ALLOWED', 'VALIDATION_ERROR'].includes(v1Error(res).error_code))
    }
    const ok = await app.inject({ method: 'POST', url: '/api/v1/tools', headers: admin.auth, payload: { ...tool, url: 'https://tools.example.com/weather' } })
    t.equal(ok.statusCode, 201)
    t.match(ok.json(), {
      name: 'weather',
      kind: 'http',
      url: 'https://tools.example.com/weather',
      method: 'POST',
      parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] }
    })
    const seenByUser = await app.inject({ method: 'GET', url: `/api/v1/tools/${ok.json().id}`, headers: user.auth })
    t.equal(seenByUser.statusCode, 200)
    t.notOk('url' in seenByUser.json(), 'the URL is shown to admins only')
    const dup = await app.inject({
      method: 'POST',
      url: '/api/v1/tools',
      headers: admin.auth,
      payload: { ...tool, name: 'Weather', url: 'https://tools.example.com/w2' }
    })
    t.equal(dup.statusCode, 409)
    t.equal(v1Error(dup).error_code, 'TOOL_NAME_TAKEN')
    const builtinName = await app.inject({
      method: 'POST',
      url: '/api/v1/tools',
      headers: admin.auth,
      payload: { ...tool, name: 'calculator', url: 'https://tools.example.com/w2' }
    })
    t.equal(builtinName.statusCode, 409)
    const badSchema = await app.inject({
      method: 'POST',
      url: '/api/v1/tools',
      headers: admin.auth,
      payload: { ...tool, name: 'x2', parameters: { type: 'string' }, url: 'https://tools.example.com/w2' }
    })
    t.equal(badSchema.statusCode, 422)
    // A schema nested 10,000 deep is refused as invalid input, not a stack overflow.
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`
    for (const parameters of [deep, `{"type":"object","properties":${deep}}`]) {
      const tooDeep = await app.inject({
        method: 'POST',
        url: '/api/v1/tools',
        headers: { ...admin.auth, 'content-type': 'application/json' },
        payload: `{"name":"deep","description":"d","url":"https://tools.example.com/deep","parameters":${parameters}}`
      })
      t.equal(tooDeep.statusCode, 422, 'deep parameters are a 422')
      t.match(v1Error(tooDeep), { error_code: 'VALIDATION_ERROR', errors: [{ field: 'body.parameters', message: /nest/ }] })
    }
    t.equal((await app.inject({ method: 'DELETE', url: '/api/v1/tools/calculator', headers: admin.auth })).statusCode, 403)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/tools/${ok.json().id}`, headers: user.auth })).statusCode, 403)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/tools/${ok.json().id}`, headers: admin.auth })).statusCode, 204)
    t.equal((await app.inject({ method: 'GET', url: `/api/v1/tools/${ok.json().id}`, headers: admin.auth })).statusCode, 404)
    t.equal(calls.length, 0)
  })

  t.test('with WEBHOOK_ALLOW_PRIVATE, an assistant calls it through the tool loop', async (t) => {
    const app = await build(t, { webhookAllowPrivate: true })
    const admin = await signUp(app)
    const created = await app.inject({ method: 'POST', url: '/api/v1/tools', headers: admin.auth, payload: tool })
    t.equal(created.statusCode, 201)
    const toolId = created.json().id
    const assistant = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: admin.auth, payload: { name: 'Weatherman', tools: [toolId] } })
    t.equal(assistant.statusCode, 201)
    const list = await app.inject({ method: 'GET', url: '/api/v1/tools?kind=http', headers: admin.auth })
    t.equal(list.json().total, 1)

    // The offline model calls no custom tool by itself; drive the loop through the service directly.
    const plan = app.services.ai.planAssistantReply({ userId: admin.id, role: 'admin', via: 'access_token' }, assistant.json().id)
    t.equal(plan.tools.length, 1)
    const out = JSON.parse(await plan.tools[0]!.run({ city: 'Paris' }, { signal: new AbortController().signal }))
    t.same(out, { status: 200, ok: true, body: { forecast: 'sunny' } })
    t.same(JSON.parse(calls.at(-1)!.body), { city: 'Paris' })
  })
})
