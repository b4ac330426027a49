import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { DomainError } from '../src/domain/errors.js'
import { bearerAuth } from '../src/http/auth.js'
import type { Surface } from '../src/http/surface.js'
import { v1 } from '../src/http/v1/index.js'

/**
 * A surface made up here, in the test: it claims `/throwaway` and `/api` (so `/api/v1/*` must stay
 * v1's, by the most specific prefix) and answers errors as `{ oops: { what, status } }`.
 */
const OopsError = Type.Object({ oops: Type.Object({ what: Type.String(), status: Type.Integer() }) }, { $id: 'OopsError' })
const Thing = Type.Object({ name: Type.String({ minLength: 1 }), size: Type.Integer({ minimum: 0 }) }, { $id: 'Thing', additionalProperties: false })

const throwaway: Surface = {
  name: 'throwaway',
  prefixes: ['/throwaway', '/api'],
  errorBody: (f) => ({ oops: { what: f.code === 'CHAT_NOT_FOUND' ? 'No such chat here' : f.message, status: f.status } }),
  errorSchema: OopsError,
  // Its own status table: a missing chat is a 410 here, and validation failures are 400s.
  statusOf: (e: DomainError) => (e.code === 'CHAT_NOT_FOUND' ? 410 : undefined),
  validationStatus: 400,
  auth: bearerAuth,
  schemas: [OopsError, Thing],
  openapi: { openapi: '3.1.0', info: { title: 'Throwaway', version: '0' } },
  async routes(app: FastifyInstance) {
    app.post(
      '/throwaway/things',
      {
        config: { auth: 'none', location: (thing: { name: string }) => `/throwaway/things/${thing.name}` },
        schema: { operationId: 'createThing', tags: ['things'], summary: 'Make a thing', body: { $ref: 'Thing' }, response: { 201: { $ref: 'Thing' } } }
      },
      async (request, reply) => reply.code(201).send(request.body)
    )
    app.get(
      '/throwaway/chats/:id',
      {
        config: { auth: 'none' },
        schema: { operationId: 'getChat', tags: ['things'], summary: 'A chat', params: Type.Object({ id: Type.String() }), response: { 200: Thing } }
      },
      async () => {
        throw new DomainError('CHAT_NOT_FOUND', 'Chat not found')
      }
    )
    app.get('/api/private', { schema: { operationId: 'getPrivate', tags: ['things'], summary: 'Needs a caller', response: { 200: Thing } } }, async () => ({
      name: 'secret',
      size: 1
    }))
  }
}

t.test('a surface registered in a test answers every failure in its own body; v1 keeps its own', async (t) => {
  const app = await buildApp({ config: testConfig(), surfaces: [v1, throwaway] })
  t.teardown(() => app.close())
  await app.ready()

  const oops = (res: { statusCode: number; json(): unknown }, status: number) => {
    t.equal(res.statusCode, status)
    const body = res.json() as { oops?: { what?: unknown; status?: unknown } }
    t.equal(typeof body.oops?.what, 'string', 'an oops body')
    t.equal(body.oops?.status, status)
    return body.oops?.what
  }

  oops(await app.inject({ method: 'GET', url: '/throwaway/nope' }), 404)
  oops(await app.inject({ method: 'GET', url: '/api/nope?x=1' }), 404)
  t.match(
    oops(await app.inject({ method: 'POST', url: '/throwaway/things', headers: { 'content-type': 'application/json' }, payload: '{"name":' }), 400),
    /JSON/
  )
  t.match(oops(await app.inject({ method: 'POST', url: '/throwaway/things', payload: { name: '', size: -1 } }), 400), /Validation failed/)
  t.equal(oops(await app.inject({ method: 'GET', url: '/throwaway/chats/1' }), 410), 'No such chat here', 'its own status and words for a domain error')
  oops(await app.inject({ method: 'GET', url: '/api/private' }), 401)
  const made = await app.inject({ method: 'POST', url: '/throwaway/things', payload: { name: 'cup', size: 2 } })
  t.equal(made.statusCode, 201)
  t.same(made.json(), { name: 'cup', size: 2 })

  // The most specific prefix wins: /api/v1 is v1's although /api is the throwaway surface's.
  for (const res of [
    await app.inject({ method: 'GET', url: '/api/v1/nope' }),
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{' }),
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'x' } }),
    await app.inject({ method: 'GET', url: '/api/v1/users/me' })
  ]) {
    const body = res.json()
    t.equal(body.status_code, res.statusCode, `${res.statusCode}: a v1 body`)
    t.type(body.error_code, 'string')
    t.notOk('oops' in body)
  }
  // A path outside every prefix goes to the first (canonical) surface.
  t.equal((await app.inject({ method: 'GET', url: '/apiary' })).json().error_code, 'NOT_FOUND')

  // Each surface has its own document: its routes, its components, its security.
  const doc = app.surfaces.document('throwaway') as {
    paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>
    components: { schemas: Record<string, unknown> }
  }
  t.same(Object.keys(doc.paths).sort(), ['/api/private', '/throwaway/chats/{id}', '/throwaway/things'])
  t.ok(doc.components.schemas.OopsError && doc.components.schemas.Thing)
  t.notOk(doc.components.schemas.ErrorResponse, "v1's components stay in v1's document")
  t.same(doc.paths['/api/private']?.get?.security, [{ bearerAuth: [] }], 'auth gives the security requirement')
  t.ok(doc.paths['/api/private']?.get?.responses['401'], 'and the documented 401')
  t.same(doc.paths['/throwaway/things']?.post?.security, [], 'a public route says so')
  t.ok(doc.paths['/throwaway/things']?.post?.responses['400'], "the surface's validation status is documented")
  const v1Doc = app.surfaces.document('v1') as { paths: Record<string, unknown> }
  t.notOk(v1Doc.paths['/throwaway/things'], "v1's document has none of its routes")
  const served = await app.inject({ method: 'GET', url: '/openapi/throwaway.json' })
  t.equal(served.statusCode, 200)
  t.same(Object.keys(served.json().paths).length, 3)
})

t.test('a surface prefix is matched on path segments, and two surfaces cannot share a prefix', async (t) => {
  const { SurfaceRegistry } = await import('../src/http/surface.js')
  const registry = new SurfaceRegistry(v1)
  registry.add({ ...throwaway, prefixes: ['/workspace'] })
  t.equal(registry.forPath('/workspace').name, 'throwaway')
  t.equal(registry.forPath('/workspace/1?x').name, 'throwaway')
  t.equal(registry.forPath('/workspace-evil').name, 'v1')
  t.equal(registry.forPath('/workspaces').name, 'v1')
  t.throws(() => registry.add({ ...throwaway, name: 'other', prefixes: ['/workspace'] }), /belongs to/)
})
