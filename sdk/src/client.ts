import createFetchClient, { type Client } from 'openapi-fetch'
import type { StreamEvent, WsClientFrame, WsReady, WsServerFrame } from './frames.js'
import type { components, paths } from './openapi.js'

/** The named objects of the API (`Schemas['Assistant']`, `Schemas['Message']`, …). */
export type Schemas = components['schemas']

/** What the client needs of a WebSocket: the browser's, Node's (22+) or the `ws` package's. */
export interface WebSocketLike {
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}
/** A WebSocket class; only its sending side is checked, so each kind fits without a cast. */
export type WebSocketConstructor = new (url: string) => Pick<WebSocketLike, 'send' | 'close'>

export interface ClientOptions {
  /** Where the service is: its origin, with BASE_PATH when it has one (`http://127.0.0.1:3000`). In a page it serves, `''`. */
  baseUrl: string
  /** An access token or API key, sent as `Authorization: Bearer …`; `login()` sets one. */
  token?: string
  /** The fetch to use (the global one by default). */
  fetch?: typeof globalThis.fetch
  /** The WebSocket to use for `connect()` (the global one by default). */
  WebSocket?: WebSocketConstructor
}

/** An open `/ws` connection, signed in. */
export interface Realtime {
  /** The `ready` frame the server answered the sign-in with. */
  readonly ready: WsReady
  send(frame: WsClientFrame): void
  /** Calls `listener` with every frame from now on; returns the function that stops it. */
  onFrame(listener: (frame: WsServerFrame) => void): () => void
  /** Calls `listener` once when the connection closes (`code` 1000 after `close()`); returns the function that stops it. */
  onClose(listener: (event: { code: number; reason: string }) => void): () => void
  /** The next frame (from now on) that `match` accepts, or a rejection after `timeoutMs`. */
  next<F extends WsServerFrame = WsServerFrame>(match: (frame: WsServerFrame) => frame is F, timeoutMs?: number): Promise<F>
  next(match: (frame: WsServerFrame) => boolean, timeoutMs?: number): Promise<WsServerFrame>
  close(): void
}

/** An API error: the status and the v1 error body (`{ detail, status_code, error_code }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Schemas['ErrorResponse'] | undefined
  ) {
    super(body?.detail ?? `HTTP ${status}`)
    this.name = 'ApiError'
  }
}

/**
 * A client of the v1 API: `api` is the typed openapi-fetch client of every operation
 * (`api.GET('/api/v1/assistants')`, …), with the token sent for you; beside it, sign-in and the
 * two ways to follow a reply as it streams.
 */
export function createClient(options: ClientOptions) {
  let token = options.token
  const api: Client<paths> = createFetchClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch })
  api.use({
    onRequest({ request }) {
      if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`)
      return request
    }
  })

  return {
    api,
    /** Sends this token from now on (undefined: none). */
    setToken(value: string | undefined) {
      token = value
    },
    get token() {
      return token
    },

    /** Signs in with an email and password and sends the access token from now on. */
    async login(email: string, password: string): Promise<Schemas['TokenResponse']> {
      const { data, error, response } = await api.POST('/api/v1/auth/login', { body: { email, password } })
      if (!data) throw new ApiError(response.status, error)
      token = data.access_token
      return data
    },

    /**
     * Sends a message and yields the events of its reply as they stream (`sendMessageStream`):
     * `message.created` for the message, the reply's frames, and `done` last.
     */
    async *sendMessageStream(
      conversationId: string,
      body: Schemas['SendMessageRequest'],
      init: { signal?: AbortSignal; idempotencyKey?: string } = {}
    ): AsyncGenerator<StreamEvent, void, undefined> {
      const { data, error, response } = await api.POST('/api/v1/conversations/{conversation_id}/messages/stream', {
        params: { path: { conversation_id: conversationId }, header: init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {} },
        body,
        parseAs: 'stream',
        signal: init.signal
      })
      if (!data) throw new ApiError(response.status, error)
      yield* serverSentEvents<StreamEvent>(data)
    },

    /** Opens `/ws`, signed in with a single-use ticket (so it works in a browser too). */
    async connect(): Promise<Realtime> {
      const { data, error, response } = await api.POST('/api/v1/ws/ticket')
      if (!data) throw new ApiError(response.status, error)
      const Socket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
      if (!Socket) throw new Error('No WebSocket here: pass one as options.WebSocket')
      return openRealtime(new Socket(socketUrl(options.baseUrl, data.ticket)) as WebSocketLike)
    }
  }
}

export type AssistantClient = ReturnType<typeof createClient>

/** The `/ws` URL of a service, with a ticket. */
function socketUrl(baseUrl: string, ticket: string): string {
  const page = (globalThis as { location?: { href: string } }).location?.href
  const url = new URL(`${baseUrl.replace(/\/$/, '')}/ws`, page)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.searchParams.set('ticket', ticket)
  return url.toString()
}

function openRealtime(socket: WebSocketLike): Promise<Realtime> {
  const listeners = new Set<(frame: WsServerFrame) => void>()
  const closeListeners = new Set<(event: { code: number; reason: string }) => void>()
  return new Promise((resolve, reject) => {
    let ready: WsReady | undefined
    socket.onmessage = (event) => {
      const frame = JSON.parse(String(event.data)) as WsServerFrame
      if (!ready) {
        if (frame.type === 'ready') {
          ready = frame
          resolve(realtime(socket, frame, listeners, closeListeners))
        } else if (frame.type === 'error') reject(new Error(`${frame.code}: ${frame.message}`))
        return
      }
      for (const listener of listeners) listener(frame)
    }
    socket.onclose = (event) => {
      if (!ready) reject(new Error(`The socket closed before it was ready (${event.code} ${event.reason})`))
      for (const listener of closeListeners) listener({ code: event.code, reason: event.reason })
    }
    socket.onerror = () => {
      if (!ready) reject(new Error('The socket failed to open'))
    }
  })
}

function realtime(
  socket: WebSocketLike,
  ready: WsReady,
  listeners: Set<(frame: WsServerFrame) => void>,
  closeListeners: Set<(event: { code: number; reason: string }) => void>
): Realtime {
  const onFrame = (listener: (frame: WsServerFrame) => void) => {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }
  return {
    ready,
    send: (frame) => socket.send(JSON.stringify(frame)),
    onFrame,
    onClose: (listener) => {
      closeListeners.add(listener)
      return () => closeListeners.delete(listener)
    },
    next: (match: (frame: WsServerFrame) => boolean, timeoutMs = 10_000) =>
      new Promise<WsServerFrame>((resolve, reject) => {
        const timer = setTimeout(() => {
          stop()
          reject(new Error(`No matching frame within ${timeoutMs} ms`))
        }, timeoutMs)
        const stop = onFrame((frame) => {
          if (!match(frame)) return
          clearTimeout(timer)
          stop()
          resolve(frame)
        })
      }),
    close: () => socket.close(1000)
  } as Realtime
}

/** The events of a Server-Sent Events body, each `data` parsed as JSON. */
async function* serverSentEvents<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<T, void, undefined> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n')
        if (data) yield JSON.parse(data) as T
        end = buffer.indexOf('\n\n')
      }
    }
  } finally {
    reader.releaseLock()
  }
}
