import type { TSchema } from '@sinclair/typebox'
import { ClientFrames, CloseCodes, ServerFrames } from '../../schemas/frames.js'
import { sharedSchemas } from '../../schemas/index.js'

type Json = Record<string, unknown>

/** The shared schemas by `$id`, which frames and events refer to by bare id (`{"$ref": "MessageRole"}`). */
let named: Map<string, TSchema> | undefined
function namedSchema(id: string): TSchema {
  named ??= new Map(sharedSchemas().map((s) => [s.$id!, s]))
  const schema = named.get(id)
  if (!schema) throw new Error(`No shared schema has the $id ${JSON.stringify(id)}`)
  return schema
}

/**
 * Turns a frame schema into plain JSON Schema, moving every nested `$id`'d schema (Message,
 * Attachment, …) to `components.schemas` and pointing at it, so each object is named once. A
 * reference by bare id (how Fastify resolves shared schemas) becomes a `#/components/schemas/…`
 * reference, and the schema it names is collected too.
 */
export function collect(schema: unknown, components: Record<string, Json>, top = true): unknown {
  if (Array.isArray(schema)) return schema.map((s) => collect(s, components, false))
  if (!schema || typeof schema !== 'object') return schema
  const obj = JSON.parse(JSON.stringify(schema)) as Json
  const id = typeof obj.$id === 'string' ? obj.$id : undefined
  const out: Json = {}
  for (const [k, v] of Object.entries(obj)) {
    if (k === '$id') continue
    if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
      out[k] = `#/components/schemas/${v}`
      if (!(v in components)) {
        components[v] = {} // a schema that refers to itself stops here
        components[v] = collect(namedSchema(v), components) as Json
      }
      continue
    }
    out[k] = collect(v, components, false)
  }
  if (id) {
    components[id] ??= out
    if (!top) return { $ref: `#/components/schemas/${id}` }
  }
  return out
}

/** The AsyncAPI version the documents are written in. */
export const ASYNCAPI_VERSION = '3.1.0'

/**
 * The service's WebSocket servers, `ws` and `wss`, at a host (and `BASE_PATH`) given as server
 * variables: the document is the same wherever the service runs; a client fills in its own.
 */
export function servers(pathname = ''): Json {
  const variables = {
    host: { default: 'localhost:3000', description: 'The host and port the service is reached at (`npm start` serves `localhost:3000`).' },
    basePath: { default: '', description: 'The `BASE_PATH` the service is served under, if any (e.g. `/assistant`).' }
  }
  const server = (protocol: string, description: string) => ({ host: '{host}', pathname: `{basePath}${pathname}`, protocol, description, variables })
  return { plain: server('ws', 'Plain WebSocket (http).'), tls: server('wss', 'WebSocket over TLS (https).') }
}

function frameName(schema: TSchema): string {
  return String(schema.$id)
}

/** The AsyncAPI 3.0 document of `/ws`, generated from the frame schemas in `schemas/frames.ts`. */
export function asyncApiDocument(version: string): Json {
  const schemas: Record<string, Json> = {}
  const messages: Record<string, Json> = {}
  const channelMessages: Record<string, Json> = {}
  const operations: Record<string, Json> = {}

  const add = (frames: TSchema[], action: 'send' | 'receive') => {
    for (const frame of frames) {
      const name = frameName(frame)
      collect(frame, schemas)
      const type = (frame.properties as { type: { const: string } }).type.const
      messages[name] = {
        name: type,
        title: `${type} (${action === 'receive' ? 'client → server' : 'server → client'})`,
        summary: frame.description,
        contentType: 'application/json',
        payload: { $ref: `#/components/schemas/${name}` }
      }
      channelMessages[name] = { $ref: `#/components/messages/${name}` }
      const opId = `${action}${name.replace(/^WsFrame/, '')}`
      operations[opId] = {
        action,
        channel: { $ref: '#/channels/stream' },
        summary: frame.description,
        messages: [{ $ref: `#/channels/stream/messages/${name}` }]
      }
    }
  }
  add(ClientFrames, 'receive')
  add(ServerFrames, 'send')

  const closeCodes = Object.entries(CloseCodes)
    .map(([name, code]) => `\`${code}\` ${name}`)
    .join(', ')

  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: 'Assistant Backend real-time stream',
      version,
      description:
        'Native WebSocket at `/ws`. Frames are JSON objects `{ "type": ..., ... }`. Authenticate with ' +
        '`Authorization: Bearer <token>`, with `?ticket=` from `POST /api/v1/ws/ticket`, or with a first `auth` frame ' +
        "within 5 seconds. Every conversation event carries its `seq` and, when it is one of the conversation's " +
        'events (a message created, edited or deleted, a reply finished, a read mark, an assistant status), its ' +
        '`event_seq`: 1, 2, 3, ... per conversation. Subscribe with `after_event_seq` (the highest `event_seq` you have ' +
        'seen) to get every event you missed, edits and deletions of older messages included, in order, then live ' +
        'events, with no gap and no duplicate; or with `after_seq` to get the messages after a seq as they are now. ' +
        'When more were missed than a replay sends, `subscribed` says `replay_truncated: true`. A bad frame is ' +
        `answered with an \`error\` frame and the socket stays open. Close codes: ${closeCodes}. Frames are at most 64 KiB.`
    },
    defaultContentType: 'application/json',
    servers: servers(),
    channels: {
      stream: {
        address: '/ws',
        title: 'The v1 stream',
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: { ticket: { type: 'string', description: 'A single-use ticket from `POST /api/v1/ws/ticket`.' } }
            },
            headers: {
              type: 'object',
              properties: { Authorization: { type: 'string', description: '`Bearer <access token or API key>`' } }
            }
          }
        }
      }
    },
    operations,
    components: { schemas, messages }
  }
}
