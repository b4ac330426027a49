import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import t from 'tap'
import { build } from './helper.js'

interface Operation {
  operationId?: string
  tags?: string[]
  summary?: string
  responses?: Record<string, unknown>
}

t.test('the OpenAPI document is valid 3.1 and covers every route', async (t) => {
  const app = await build(t)
  const routes: { method: string; url: string }[] = []
  // Rebuild to capture routes as they are registered.
  const { buildApp } = await import('../src/app.js')
  const { testConfig } = await import('../src/config.js')
  const probe = await buildApp({ config: testConfig() })
  t.teardown(() => probe.close())
  const hidden = new Set<string>()
  probe.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method]
    for (const m of methods) {
      if (m === 'HEAD' || m === 'OPTIONS') continue
      if (r.schema && (r.schema as { hide?: boolean }).hide) hidden.add(`${m} ${r.url}`)
      routes.push({ method: m, url: r.url })
    }
  })
  await probe.ready()

  const res = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  const spec = res.json()
  t.equal(spec.openapi, '3.1.0')

  const validator = new Validator()
  const result = await validator.validate(spec)
  t.ok(result.valid, 'validates against the OpenAPI 3.1 schema')
  if (!result.valid) t.comment(JSON.stringify(result.errors, null, 2).slice(0, 4000))

  const operationIds = new Set<string>()
  const documented = new Set<string>()
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(item)) {
      documented.add(`${method.toUpperCase()} ${path}`)
      t.match(op.operationId, /^[a-z][A-Za-z0-9]+$/, `${method} ${path} has a camelCase operationId`)
      t.notOk(operationIds.has(op.operationId!), `${op.operationId} is unique`)
      operationIds.add(op.operationId!)
      t.ok(op.tags?.length, `${op.operationId} has tags`)
      t.ok(op.summary, `${op.operationId} has a summary`)
      t.ok(op.responses && Object.keys(op.responses).length > 0, `${op.operationId} documents its responses`)
    }
  }
  const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/$/, '') || '/'
  for (const r of routes) {
    const key = `${r.method} ${toOpenApiPath(r.url)}`
    if (hidden.has(`${r.method} ${r.url}`) || r.url.startsWith('/docs')) continue
    t.ok(documented.has(key), `${key} is in the document`)
  }

  t.ok(spec.components.schemas.User, 'shared objects are named components')
  t.ok(spec.components.schemas.ErrorResponse)
  t.notOk(JSON.stringify(spec).includes('def-'), 'no anonymous def-N components')
})

t.test('the committed openapi/openapi.json is what the code generates', async (t) => {
  const app = await build(t)
  const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')
  t.same(JSON.parse(committed), app.swagger(), 'run `npm run openapi` after changing a route or schema')
})

t.test('docs are served', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/docs' })
  t.ok([200, 302].includes(res.statusCode))
  const page = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
})

t.test('every document names its server and describes every operation', async (t) => {
  const app = await build(t)
  for (const surface of app.surfaces.list()) {
    const doc = app.surfaces.document(surface.name) as { servers?: { url: string }[]; paths: Record<string, Record<string, { description?: string }>> }
    t.same(
      doc.servers?.map((s) => s.url),
      ['/'],
      `${surface.name}: relative to where it is served`
    )
    const undescribed = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => !op.description)
        .map(([method]) => `${method.toUpperCase()} ${path}`)
    )
    t.same(undescribed, [], `${surface.name}: every operation has a description`)
  }
})
