import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import t from 'tap'
import { ClientFrames, ServerFrames } from '../schemas/frames.js'
import { RoomClientEvents, RoomServerEvents } from '../schemas/rooms.js'
import { asyncApiDocument } from '../src/realtime/asyncapi.js'
import { socketIoAsyncApiDocument } from '../src/realtime/asyncapi-socketio.js'

const require = createRequire(import.meta.url)
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv
const specs = require('@asyncapi/specs') as { schemas: Record<string, object> }

const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false })
addFormats(ajv)
const schema = specs.schemas['3.0.0']
if (!schema) throw new Error('@asyncapi/specs has no 3.0.0 schema')
const validate = ajv.compile(schema)

/** Asserts that a document validates against the AsyncAPI 3.0.0 schema. */
function assertValid(t: { ok(v: unknown, m: string): void; comment(m: string): void }, doc: unknown) {
  const ok = validate(doc)
  if (!ok) t.comment(JSON.stringify(validate.errors, null, 2).slice(0, 3000))
  t.ok(ok, 'validates against the AsyncAPI 3.0.0 schema')
}

t.test('the AsyncAPI document is valid 3.0 and lists every frame', async (t) => {
  const doc = asyncApiDocument('test')
  assertValid(t, doc)
  t.notOk(validate({ asyncapi: '3.0.0', channels: { x: { address: 5 } } }), 'the validator does reject a broken document')

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
})

t.test('the committed openapi/asyncapi.json is what the code generates', async (t) => {
  const committed = JSON.parse(readFileSync(new URL('../openapi/asyncapi.json', import.meta.url), 'utf8'))
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  t.same(committed, asyncApiDocument(pkg.version), 'run `npm run openapi` after changing a frame')
})

t.test('the Socket.IO AsyncAPI document is valid 3.0 and lists every event of the rooms namespace', async (t) => {
  const doc = socketIoAsyncApiDocument('test')
  assertValid(t, doc)
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
})

t.test('the committed openapi/asyncapi-socketio.json is what the code generates', async (t) => {
  const committed = JSON.parse(readFileSync(new URL('../openapi/asyncapi-socketio.json', import.meta.url), 'utf8'))
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  t.same(committed, socketIoAsyncApiDocument(pkg.version), 'run `npm run openapi` after changing an event')
})
