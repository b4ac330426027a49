/**
 * The TypeScript SDK of the Assistant Backend v1 API: the operations typed from its OpenAPI
 * document (openapi-fetch over openapi-typescript's types), and the `/ws` frames typed from the
 * schemas the server uses. It runs in browsers and in Node (fetch and a WebSocket are all it needs).
 */
export {
  ApiError,
  type AssistantClient,
  type ClientOptions,
  createClient,
  type Realtime,
  type Schemas,
  type WebSocketConstructor,
  type WebSocketLike
} from './client.js'
export type * from './frames.js'
export type { components, operations, paths } from './openapi.js'
