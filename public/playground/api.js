// Every call the playground makes to the service is in this module: the v1 API through an
// openapi-fetch client, and the `/ws` stream. The page (app.js) only calls what `connect` returns.
import createClient from './vendor/openapi-fetch.mjs'

/** A refused call, with the service's error body (`detail`, `status_code`, `error_code`). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `The service answered ${status}`)
    this.status = status
    this.code = body?.error_code
  }
}

/**
 * A session with the service at `baseUrl` (its origin, with the base path if it has one):
 * signs in, then calls the API and opens streams as the signed-in person.
 */
export function connect(baseUrl) {
  const client = createClient({ baseUrl })
  let accessToken
  client.use({
    onRequest({ request }) {
      if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`)
      return request
    }
  })
  const call = async (pending) => {
    const { data, error, response } = await pending
    if (!response.ok) throw new ApiError(response.status, error)
    return data
  }

  const api = {
    /** Signs in; answers the signed-in user. */
    async signIn(email, password) {
      const tokens = await call(client.POST('/api/v1/auth/login', { body: { email, password } }))
      accessToken = tokens.access_token
      return call(client.GET('/api/v1/auth/me'))
    },
    /** Creates an account, then signs in with it. */
    async register(email, password) {
      await call(client.POST('/api/v1/auth/register', { body: { email, password } }))
      return api.signIn(email, password)
    },
    async models() {
      return (await call(client.GET('/api/v1/model'))).items
    },
    /** The active assistants the signed-in person may talk to. */
    async assistants() {
      return (await call(client.GET('/api/v1/assistants', { params: { query: { status: 'active', size: 100, sort: 'name:asc' } } }))).items
    },
    createAssistant({ name, model, system_prompt }) {
      return call(client.POST('/api/v1/assistants', { body: { name, model: model || undefined, system_prompt: system_prompt || undefined } }))
    },
    startConversation(assistantId) {
      return call(client.POST('/api/v1/conversations', { body: { assistant_id: assistantId } }))
    },
    send(conversationId, content) {
      return call(client.POST('/api/v1/conversations/{conversation_id}/messages', { params: { path: { conversation_id: conversationId } }, body: { content } }))
    },
    /**
     * Follows a conversation over `/ws` (signed in with a one-time ticket, since a browser cannot
     * set headers on a WebSocket). Resolves once subscribed, so nothing sent after is missed;
     * every frame that follows goes to `onFrame`.
     */
    async follow(conversationId, onFrame) {
      const { ticket } = await call(client.POST('/api/v1/ws/ticket'))
      const url = new URL(`${baseUrl.replace(/\/$/, '')}/ws`)
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
      url.searchParams.set('ticket', ticket)
      const socket = new WebSocket(url)
      await new Promise((resolve, reject) => {
        socket.onmessage = (event) => {
          const frame = JSON.parse(event.data)
          if (frame.type === 'ready') socket.send(JSON.stringify({ type: 'subscribe', conversation_id: conversationId }))
          else if (frame.type === 'subscribed') resolve()
          else if (frame.type === 'error') reject(new ApiError(0, { detail: frame.message, error_code: frame.code }))
          onFrame(frame)
        }
        socket.onclose = (event) => reject(new Error(`The stream closed (${event.code})`))
      })
      socket.onclose = (event) => onFrame({ type: 'closed', code: event.code })
      return {
        close() {
          socket.onmessage = null
          socket.onclose = null
          socket.close()
        }
      }
    }
  }
  return api
}
