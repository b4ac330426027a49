import t from 'tap'
import { build, signUp, v1Error } from './helper.js'

t.test('Idempotency-Key on creating POSTs: one thing per key, the same answer, a conflict for another body', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const ada = await signUp(app)
  const key = (k: string) => ({ ...ada.auth, 'idempotency-key': k })

  const first = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: key('make-helper'), payload: { name: 'Helper' } })
  t.equal(first.statusCode, 201)
  const again = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: key('make-helper'), payload: { name: 'Helper' } })
  t.equal(again.statusCode, 201)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.same(again.json(), first.json(), 'the retry answers as the first did')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/assistants?owner_id=me', headers: ada.auth })).json().total, 1, 'one assistant made')

  const other = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: key('make-helper'), payload: { name: 'Other' } })
  t.equal(other.statusCode, 409)
  t.equal(v1Error(other).error_code, 'IDEMPOTENCY_KEY_REUSED')
  // Keys are per caller: another user's same key makes their own.
  const admins = await app.inject({
    method: 'POST',
    url: '/api/v1/assistants',
    headers: { ...admin.auth, 'idempotency-key': 'make-helper' },
    payload: { name: 'Helper' }
  })
  t.equal(admins.statusCode, 201)
  t.not(admins.json().id, first.json().id)
  // A failed request keeps nothing: the retry runs again.
  const bad = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: key('ws-1'), payload: { name: '' } })
  t.equal(bad.statusCode, 422)
  const ws1 = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: key('ws-2'), payload: { name: 'Team' } })
  const ws2 = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: key('ws-2'), payload: { name: 'Team' } })
  t.equal(ws1.statusCode, 201)
  t.same(ws2.json(), ws1.json())
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/workspaces', headers: ada.auth })).json().total, 1, 'one workspace made')

  // A POST that cannot honour the key says so instead of ignoring it.
  const keyed = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: key('k-1'), payload: { name: 'ci' } })
  t.equal(keyed.statusCode, 400)
  t.equal(v1Error(keyed).error_code, 'IDEMPOTENCY_NOT_SUPPORTED')
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: ada.auth, payload: { name: 'ci' } })).statusCode,
    201,
    'without the key it works'
  )

  // The document shows the header on the routes that take it.
  const doc = app.swagger() as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> }
  for (const path of ['/api/v1/assistants', '/api/v1/workspaces', '/api/v1/tools', '/api/v1/conversations']) {
    t.ok(
      doc.paths[path]?.post?.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'),
      `${path} documents Idempotency-Key`
    )
  }
})
