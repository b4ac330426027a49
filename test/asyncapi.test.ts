import { readFileSync } from 'node:fs'
import { DiagnosticSeverity, Parser } from '@asyncapi/parser'
import t, { type Test } from 'tap'
import { ClientFrames, ServerFrames } from '../schemas/frames.js'
import { RoomClientEvents, RoomServerEvents } from '../schemas/rooms.js'
import { asyncApiDocument } from '../src/realtime/asyncapi.js'
import { socketIoAsyncApiDocument } from '../src/realtime/asyncapi-socketio.js'

const parser = new Parser()

/** What the official AsyncAPI parser says of a document: its errors, and the rest as lines. */
async function parse(doc: unknown) {
  const { document, diagnostics } = await parser.parse(JSON.stringify(doc))
  const line = (d: (typeof diagnostics)[number]) => `${d.code} at ${d.path.join('.') || '(root)'}: ${d.message}`
  return {
    document,
    errors: diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map(line),
    others: diagnostics.filter((d) => d.severity !== DiagnosticSeverity.Error).map((d) => `${DiagnosticSeverity[d.severity]} ${line(d)}`)
  }
}

/** Asserts that the official parser reads a document with no error; reports its warnings and hints. */
async function assertValid(t: Test, doc: unknown) {
  const { document, errors, others } = await parse(doc)
  for (const o of others) t.comment(o)
  t.same(errors, [], 'the official AsyncAPI parser reports no error')
  t.ok(document, 'and gives a parsed document')
}

/** Every `$ref` points into the document, and the servers' host is a variable, not a fixed address. */
function assertServers(t: Test, doc: Record<string, unknown>) {
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]*)"/g)].map((m) => m[1]!)
  t.ok(refs.length > 0 && refs.every((r) => r.startsWith('#/')), 'every $ref points into the document')
  const servers = Object.values(doc.servers as Record<string, { host: string; protocol: string; variables?: Record<string, unknown> }>)
  t.same(servers.map((s) => s.protocol).sort(), ['ws', 'wss'], 'plain and TLS WebSocket servers')
  for (const s of servers) {
    t.equal(s.host, '{host}', `the ${s.protocol} server's host is a variable`)
    t.ok(s.variables?.host, 'with a default and a description')
  }
}

t.test('the parser does refuse a broken document', async (t) => {
  const broken = asyncApiDocument('test')
  const schemas = (broken.components as { schemas: Record<string, { properties: Record<string, unknown> }> }).schemas
  schemas.Message!.properties.role = { $ref: 'MessageRole' } // a bare id, as Fastify resolves it but no AsyncAPI tool does
  const { errors } = await parse(broken)
  t.match(errors.join('\n'), /invalid-ref/, 'a bare $id is an invalid ref')
})

t.test('the AsyncAPI document of /ws is valid and lists every frame', async (t) => {
  const doc = asyncApiDocument('test')
  await assertValid(t, doc)

  const messages = (doc.components as { messages: Record<string, { name: string }> }).messages
  const names = new Set(Object.values(messages).map((m) => m.name))
  for (const f of [...ClientFrames, ...ServerFrames]) {
    const type = (f.properties as { type: { const: string } }).type.const
    t.ok(names.has(type), `${type} is documented`)
  }
  const ops = Object.values(doc.operations as Record<string, { action: string }>)
  t.equal(ops.filter((o) => o.action === 'receive').length, ClientFrames.length)
  t.equal(ops.filter((o) => o.action === 'send').length, ServerFrames.length)
  const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas
  t.ok(schemas.Message, 'shared objects are named once')
  t.notOk(JSON.stringify(doc).includes('"$id"'), 'no $id left inline')
  assertServers(t, doc)
})

t.test('the committed openapi/asyncapi.json is what the code generates', async (t) => {
  const committed = JSON.parse(readFileSync(new URL('../openapi/asyncapi.json', import.meta.url), 'utf8'))
  await assertValid(t, committed)
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  t.same(committed, asyncApiDocument(pkg.version), 'run `npm run openapi` after changing a frame')
})

t.test('the Socket.IO AsyncAPI document is valid and lists every event of the rooms namespace', async (t) => {
  const doc = socketIoAsyncApiDocument('test')
  await assertValid(t, doc)
  const channels = doc.channels as Record<string, { address: string }>
  t.same(
    Object.values(channels).map((c) => c.address),
    ['/', '/assistant/realtime']
  )
  const ops = Object.values(doc.operations as Record<string, { action: string; messages: { $ref: string }[] }>)
  const named = (action: string) =>
    ops
      .filter((o) => o.action === action)
      .map((o) => {
        const id = o.messages[0]!.$ref.split('/').pop()!
        return (doc.components as { messages: Record<string, { name: string }> }).messages[id]!.name
      })
  t.same(named('receive'), Object.keys(RoomClientEvents), 'client → server events')
  t.same(named('send'), Object.keys(RoomServerEvents), 'server → client events')
  t.ok((doc.components as { schemas: Record<string, unknown> }).schemas.Message, 'the message is named once')
  t.notOk(JSON.stringify(doc).includes('"$id"'), 'no $id left inline')
  assertServers(t, doc)
})

t.test('the committed openapi/asyncapi-socketio.json is what the code generates', async (t) => {
  const committed = JSON.parse(readFileSync(new URL('../openapi/asyncapi-socketio.json', import.meta.url), 'utf8'))
  await assertValid(t, committed)
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  t.same(committed, socketIoAsyncApiDocument(pkg.version), 'run `npm run openapi` after changing an event')
})
