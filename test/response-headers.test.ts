import t from 'tap'
import { at, build, signUp } from './helper.js'
import { multipartFiles } from './multipart.js'

interface Response {
  headers?: Record<string, { $ref?: string }>
}
interface Operation {
  operationId: string
  parameters?: { in: string; name: string }[]
  responses: Record<string, Response>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
  components: { headers?: Record<string, unknown> }
}

/** The headers a response of an operation must document, by its status and what the operation is. */
function expectedHeaders(op: Operation, status: string): string[] {
  const names = ['x-request-id']
  const rateLimited = '429' in op.responses
  if (rateLimited && (status.startsWith('2') || status === '429')) names.push('x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset')
  if (status === '429') names.push('Retry-After')
  if (status === '201') names.push('Location')
  if (status.startsWith('2') && op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key')) names.push('Idempotent-Replayed')
  return names
}

t.test('every document names the headers each response carries', async (t) => {
  const app = await build(t)
  for (const surface of app.surfaces.list()) {
    const doc = app.surfaces.document(surface.name) as Document
    const missing: string[] = []
    let responses = 0
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          responses++
          for (const name of expectedHeaders(op, status)) {
            const header = response.headers?.[name]
            const component = header?.$ref?.replace('#/components/headers/', '')
            if (!component || !doc.components.headers?.[component]) missing.push(`${method.toUpperCase()} ${path} ${status}: ${name}`)
          }
        }
      }
    }
    t.ok(responses > 10, `${surface.name}: ${responses} responses looked at`)
    t.same(missing, [], `${surface.name}: every response documents its headers`)
  }
})

t.test('a 201 answers with the Location of what it made, and the documented headers come with it', async (t) => {
  const app = await build(t, { rateLimitMax: 50, rateLimitAuthMax: 50 })
  const me = await signUp(app)

  const register = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email: 'grace@example.com', password: 'violet harbor 71 lantern' }
  })
  t.equal(register.statusCode, 201)
  t.equal(register.headers.location, `/api/v1/users/${register.json().id}`)
  t.match(register.headers['x-request-id'], /\S/)
  t.equal(register.headers['x-ratelimit-limit'], '50', 'the rate-limit headers come with the answer')

  const body = { name: 'Helper', tools: ['calculator'] }
  const first = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: { ...me.auth, 'idempotency-key': 'k1' }, payload: body })
  t.equal(first.statusCode, 201)
  t.equal(first.headers.location, `/api/v1/assistants/${first.json().id}`)
  t.notOk(first.headers['idempotent-replayed'])
  const again = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: { ...me.auth, 'idempotency-key': 'k1' }, payload: body })
  t.equal(again.statusCode, 201)
  t.equal(again.headers['idempotent-replayed'], 'true', 'a replay says so')
  t.equal(again.headers.location, first.headers.location, 'and locates the same assistant')
  const located = await app.inject({ method: 'GET', url: String(first.headers.location), headers: me.auth })
  t.equal(located.statusCode, 200)
  t.equal(located.json().id, first.json().id)

  const file = await app.inject({
    method: 'POST',
    url: '/api/v1/files/upload',
    ...multipartFiles(me.auth, [{ name: 'notes.txt', bytes: Buffer.from('hello') }], 'file')
  })
  t.equal(file.statusCode, 201)
  t.equal(file.headers.location, `/api/v1/files/${file.json().id}`)

  const chat = await app.inject({ method: 'POST', url: '/api/v1/chat', headers: me.auth, payload: { model_id: 'offline', model_api_source: 'offline' } })
  t.equal(chat.statusCode, 201)
  t.equal(chat.headers.location, `/api/v1/chat/${chat.json().chat_id}`)
  const one = await app.inject({
    method: 'POST',
    url: `/api/v1/chat/${chat.json().chat_id}/upload`,
    ...multipartFiles(me.auth, [{ name: 'a.txt', bytes: Buffer.from('a') }])
  })
  t.equal(one.statusCode, 201)
  t.equal(one.headers.location, `/api/v1/chat/${chat.json().chat_id}/files/${at(one.json<{ id: string }[]>(), 0).id}`, 'one file: its own path')
  const two = await app.inject({
    method: 'POST',
    url: `/api/v1/chat/${chat.json().chat_id}/upload`,
    ...multipartFiles(me.auth, [
      { name: 'b.txt', bytes: Buffer.from('b') },
      { name: 'c.txt', bytes: Buffer.from('c') }
    ])
  })
  t.equal(two.statusCode, 201)
  t.equal(two.headers.location, `/api/v1/chat/${chat.json().chat_id}/files`, 'several files: the list')

  const ticket = await app.inject({ method: 'POST', url: '/api/v1/ws/ticket', headers: me.auth })
  t.equal(ticket.statusCode, 201)
  t.equal(ticket.headers.location, `/ws?ticket=${encodeURIComponent(ticket.json().ticket)}`, 'a ticket is located where it is used')
})

t.test('a streamed send keeps the headers of every answer and locates the message', async (t) => {
  const app = await build(t, { rateLimitMax: 50 })
  const me = await signUp(app)
  const conversation = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: me.auth, payload: { title: 'Notes' } })).json()
  // The streamed send of its own, and the plain send asked for events (as older clients do).
  const ways = [
    { url: `/api/v1/conversations/${conversation.id}/messages/stream`, headers: {} },
    { url: `/api/v1/conversations/${conversation.id}/messages`, headers: { accept: 'text/event-stream' } }
  ]
  for (const [i, way] of ways.entries()) {
    const res = await app.inject({
      method: 'POST',
      url: way.url,
      headers: { ...me.auth, ...way.headers, 'x-request-id': `stream-${i}` },
      payload: { content: 'Remember the milk' }
    })
    t.equal(res.statusCode, 201, way.url)
    t.match(res.headers['content-type'], /^text\/event-stream/)
    t.equal(res.headers['x-request-id'], `stream-${i}`)
    t.equal(res.headers['x-ratelimit-limit'], '50')
    const created = /event: message\.created\ndata: (.*)\n/.exec(res.body)
    t.ok(created, 'the message comes first')
    const message = JSON.parse(created?.[1] ?? '{}').message
    t.equal(res.headers.location, `/api/v1/conversations/${conversation.id}/messages/${message.id}`)
    t.match(res.body, /event: done\ndata: \{"type":"done","outcome":null\}/, 'and done last: nobody answers here')
  }
})

t.test('under BASE_PATH, a Location is reached through the prefix', async (t) => {
  const app = await build(t, { basePath: '/assist' })
  const res = await app.inject({
    method: 'POST',
    url: '/assist/api/v1/auth/register',
    payload: { email: 'ada@example.com', password: 'violet harbor 71 lantern' }
  })
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, `/assist/api/v1/users/${res.json().id}`)
})

t.test('a refusal by the rate limit says when to come back', async (t) => {
  const app = await build(t, { rateLimitMax: 1 })
  const me = await signUp(app)
  await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: me.auth })
  const refused = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: me.auth })
  t.equal(refused.statusCode, 429)
  t.match(refused.headers['retry-after'], /^\d+$/)
  t.equal(refused.headers['x-ratelimit-remaining'], '0')
  t.match(refused.headers['x-request-id'], /\S/)
})
