import type { TSchema } from '@sinclair/typebox'
import { RoomClientEvents, RoomServerEvents } from '../../schemas/rooms.js'
import { ASYNCAPI_VERSION, collect, servers } from './asyncapi.js'
import { ASSISTANT_ROOMS_NAMESPACE } from './rooms.js'
import { SOCKET_IO_PATH } from './socketio.js'

type Json = Record<string, unknown>

/**
 * The AsyncAPI 3.0 document of the Socket.IO protocol (`/socket.io`), generated from the event
 * schemas in `schemas/rooms.ts`. Each namespace is a channel; each event a message whose payload
 * is the event's single argument.
 */
export function socketIoAsyncApiDocument(version: string): Json {
  const schemas: Record<string, Json> = {}
  const messages: Record<string, Json> = {}
  const channelMessages: Record<string, Json> = {}
  const operations: Record<string, Json> = {}

  const add = (events: Record<string, TSchema>, action: 'send' | 'receive') => {
    for (const [name, schema] of Object.entries(events)) {
      const id = String(schema.$id)
      collect(schema, schemas)
      messages[id] = {
        name,
        title: `${name} (${action === 'receive' ? 'client → server' : 'server → client'})`,
        summary: schema.description,
        contentType: 'application/json',
        payload: { $ref: `#/components/schemas/${id}` }
      }
      channelMessages[id] = { $ref: `#/components/messages/${id}` }
      operations[`${action}${id.replace(/^RoomEvent/, '')}`] = {
        action,
        channel: { $ref: '#/channels/assistantRooms' },
        summary: schema.description,
        messages: [{ $ref: `#/channels/assistantRooms/messages/${id}` }]
      }
    }
  }
  add(RoomClientEvents, 'receive')
  add(RoomServerEvents, 'send')

  const handshake = {
    type: 'object',
    properties: { token: { type: 'string', description: 'An access token or an API key (else the bearer header or the access_token cookie).' } }
  }
  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: 'Assistant Backend Socket.IO protocol',
      version,
      description:
        `Socket.IO (protocol v5, the \`socket.io-client\` 4.x package) at \`${SOCKET_IO_PATH}\` (under \`BASE_PATH\` when set). Every namespace ` +
        'authenticates at the handshake with `auth: {token}` (an access token or an API key), an `Authorization: Bearer` ' +
        'header, or the `access_token` cookie of a browser sign-in (from a page of the service, `BASE_URL` or `CORS_ORIGINS`); ' +
        'a missing or refused credential is a `connect_error` whose `data.code` says why (`UNAUTHORIZED`, `INVALID_TOKEN`, ' +
        '`CSRF_REJECTED`). Each event carries one JSON argument, described here. A client event with a bad payload, or one ' +
        'the server refuses, is answered with an `error` event and the socket stays connected. When the credentials a ' +
        'socket signed in with are revoked (logout, a password change, the user disabled or deleted, the API key deleted), ' +
        'it gets `error` `CREDENTIALS_REVOKED` and the server disconnects it at once.'
    },
    defaultContentType: 'application/json',
    servers: servers(SOCKET_IO_PATH),
    channels: {
      default: {
        address: '/',
        title: 'The default namespace',
        description: 'Authenticated connection; no events of its own.',
        messages: {}
      },
      assistantRooms: {
        address: ASSISTANT_ROOMS_NAMESPACE,
        title: 'Assistant rooms',
        description:
          "A room is a conversation with an assistant (`room_id` is the conversation's id): its messages are in the HTTP " +
          'history and on `/ws`. Only those who may see the conversation join. Joining and leaving are per socket. ' +
          `Handshake \`auth\`: ${JSON.stringify(handshake)}.`,
        messages: channelMessages
      }
    },
    operations,
    components: { schemas, messages }
  }
}
