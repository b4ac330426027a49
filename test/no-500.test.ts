import t from 'tap'
import { build, signUp } from './helper.js'

interface Operation {
  operationId: string
  requestBody?: unknown
}

/**
 * Every operation of the OpenAPI document, called with malformed ids, bodies and queries, as an
 * admin, as a normal user and anonymously: no input of any kind may produce a 500.
 */
t.test('no input produces a 500', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const user = await signUp(app)
  const spec = app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> }
  const ids = ['not-a-uuid', '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', '%00', '../../etc/passwd', 'x'.repeat(300)]
  const bodies: (string | undefined)[] = [
    undefined,
    '{}',
    '[]',
    'null',
    '"text"',
    '{"a":',
    '{"content":5,"name":[],"email":{},"url":"javascript:alert(1)","events":"x","assistant_id":"nope","file_ids":[1]}',
    '{"__proto__":{"admin":true}}'
  ]
  const queries = [
    '',
    '?page=0&size=-1',
    '?page=abc&size=1000',
    '?sort=%27;drop%20table%20users;--',
    '?after_seq=-5&before_seq=x&limit=0',
    '?status=weird&role=root'
  ]
  const who = [admin.auth, user.auth, {}]
  let calls = 0
  const failures: string[] = []
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      for (const id of ids) {
        const url = path.replace(/\{[^}]+\}/g, encodeURIComponent(id))
        for (const headers of who) {
          for (const q of queries.slice(0, method === 'get' ? queries.length : 2)) {
            for (const body of method === 'get' || method === 'delete' ? [undefined] : bodies) {
              const res = await app.inject({
                method: method.toUpperCase() as 'GET',
                url: url + q,
                headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
                payload: body
              })
              calls++
              if (res.statusCode >= 500 && res.statusCode !== 502 && res.statusCode !== 503 && res.statusCode !== 504) {
                failures.push(`${op.operationId}: ${method.toUpperCase()} ${url}${q} ${body ?? ''} -> ${res.statusCode} ${res.body.slice(0, 200)}`)
              }
            }
          }
        }
      }
    }
  }
  t.ok(calls > 1000, `${calls} calls made`)
  t.same(failures, [], 'no 500s')
})
