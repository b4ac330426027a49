import net from 'node:net'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import type { Surface } from '../src/http/surface.js'
import { v1 } from '../src/http/v1/index.js'

/** A surface made up here: it claims `/oops` and answers errors as `{ oops: { what, status } }`. */
const OopsError = Type.Object({ oops: Type.Object({ what: Type.String(), status: Type.Integer() }) }, { $id: 'OopsError' })
const oops: Surface = {
  name: 'oops',
  prefixes: ['/oops'],
  errorBody: (f) => ({ oops: { what: f.message, status: f.status } }),
  errorSchema: OopsError,
  validationStatus: 400,
  schemas: [OopsError],
  openapi: { openapi: '3.1.0', info: { title: 'Oops', version: '0' } },
  async routes(app: FastifyInstance) {
    const Thing = Type.Object({ name: Type.String() })
    app.post(
      '/oops/things',
      {
        config: { location: (thing: { name: string }) => `/oops/things/${thing.name}` },
        schema: { operationId: 'makeThing', tags: ['t'], summary: 'Make', body: Thing, response: { 201: Thing } }
      },
      async (r, reply) => reply.code(201).send(r.body)
    )
    app.get(
      '/oops/things/:id',
      { schema: { operationId: 'getThing', tags: ['t'], summary: 'Get', params: Type.Object({ id: Type.String() }), response: { 200: Thing } } },
      async () => ({ name: 'x' })
    )
  }
}

/** Sends raw bytes and resolves with the status and the parsed JSON body of the answer. */
function raw(port: number, request: string | Buffer): Promise<{ status: number; headers: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(request))
    let data = ''
    s.on('data', (c) => (data += c.toString('latin1')))
    s.on('error', (err) => (data ? undefined : reject(err)))
    s.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1])
      let parsed: unknown
      try {
        parsed = JSON.parse(body)
      } catch {
        parsed = body
      }
      resolve({ status, headers: head, body: parsed })
    })
  })
}

function request(method: string, path: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = Object.entries({ host: 'x', connection: 'close', ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) })
  return `${method} ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`
}

t.test('every framework error answers in the surface’s error body', async (t) => {
  const app = await buildApp({ config: testConfig(), surfaces: [v1, oops] })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as net.AddressInfo).port
  const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) })
  const hugeHeader = { 'x-filler': 'y'.repeat(20 * 1024) }

  const cases: { name: string; status: number; v1: string; oops: string; allow?: boolean }[] = [
    {
      name: 'path parameter past the router limit',
      status: 414,
      v1: request('GET', `/api/v1/assistants/${'a'.repeat(300)}`),
      oops: request('GET', `/oops/things/${'a'.repeat(300)}`)
    },
    { name: 'headers past the limit', status: 431, v1: request('GET', '/api/v1/health', hugeHeader), oops: request('GET', '/oops/things/1', hugeHeader) },
    {
      name: 'body past the limit',
      status: 413,
      v1: request('POST', '/api/v1/auth/login', { 'content-type': 'application/json' }, big),
      oops: request('POST', '/oops/things', { 'content-type': 'application/json' }, big)
    },
    {
      name: 'unsupported content type',
      status: 415,
      v1: request('POST', '/api/v1/auth/login', { 'content-type': 'text/xml' }, '<a/>'),
      oops: request('POST', '/oops/things', { 'content-type': 'text/xml' }, '<a/>')
    },
    { name: 'method not allowed', status: 405, v1: request('DELETE', '/api/v1/auth/login'), oops: request('DELETE', '/oops/things'), allow: true }
  ]
  for (const c of cases) {
    const a = await raw(port, c.v1)
    t.equal(a.status, c.status, `v1: ${c.name}`)
    t.match(a.body, { detail: String, status_code: c.status, error_code: String }, `v1's error body for ${c.name}: ${JSON.stringify(a.body).slice(0, 200)}`)
    t.notMatch(JSON.stringify(a.body), /FST_ERR/, 'no framework code leaks')
    const b = await raw(port, c.oops)
    t.equal(b.status, c.status, `oops: ${c.name}`)
    t.match(b.body, { oops: { what: String, status: c.status } }, `the oops body for ${c.name}: ${JSON.stringify(b.body).slice(0, 200)}`)
    if (c.allow) {
      t.match(a.headers, /\r\nallow: POST/i, 'a 405 names the allowed methods')
      t.match(b.headers, /\r\nallow: POST/i)
    }
  }
  const notFound = await raw(port, request('DELETE', '/oops/nothing-here'))
  t.equal(notFound.status, 404, 'a path with no route at all is still a 404')
})
