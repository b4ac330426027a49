// Every call the playground makes to the service is in this module, all through the project's
// SDK (`sdk/src/`, bundled by `npm run sdk` into vendor/sdk.mjs): its typed v1 client, `login`,
// and `connect` for the `/ws` stream. The page (app.js) only calls what `connect` here returns.
import { ApiError, createClient } from './vendor/sdk.mjs'

export { ApiError }

/**
 * A session with the service at `baseUrl` (its origin, with the base path if it has one):
 * signs in, then calls the API and opens streams as the signed-in person.
 */
export function connect(baseUrl) {
  const client = createClient({ baseUrl })
  const { api } = client
  /** The answer of an SDK call, or its error as an ApiError (status and the v1 error body). */
  const call = async (pending) => {
    const { data, error, response } = await pending
    if (!response.ok) throw new ApiError(response.status, error)
    return data
  }

  const session = {
    /** Signs in; answers the signed-in user. */
    async signIn(email, password) {
      await client.login(email, password)
      return call(api.GET('/api/v1/auth/me'))
    },
    /** Creates an account, then signs in with it. */
    async register(email, password) {
      await call(api.POST('/api/v1/auth/register', { body: { email, password } }))
      return session.signIn(email, password)
    },
    async models() {
      return (await call(api.GET('/api/v1/model'))).items
    },
    /** The active assistants the signed-in person may talk to. */
    async assistants() {
      return (await call(api.GET('/api/v1/assistants', { params: { query: { status: 'active', size: 100, sort: 'name:asc' } } }))).items
    },
    createAssistant({ name, model, system_prompt }) {
      return call(api.POST('/api/v1/assistants', { body: { name, model: model || undefined, system_prompt: system_prompt || undefined } }))
    },
    startConversation(assistantId) {
      return call(api.POST('/api/v1/conversations', { body: { assistant_id: assistantId } }))
    },
    send(conversationId, content) {
      return call(api.POST('/api/v1/conversations/{conversation_id}/messages', { params: { path: { conversation_id: conversationId } }, body: { content } }))
    },
    /**
     * Follows a conversation over `/ws` (the SDK signs in with a one-time ticket, since a browser
     * cannot set headers on a WebSocket). Resolves once subscribed, so nothing sent after is
     * missed; every frame that follows goes to `onFrame`, and `{ type: 'closed', code }` when the
     * stream ends.
     */
    async follow(conversationId, onFrame) {
      const realtime = await client.connect()
      const requestId = `subscribe-${conversationId}`
      const answered = realtime.next((frame) => (frame.type === 'subscribed' || frame.type === 'error') && frame.request_id === requestId)
      realtime.send({ type: 'subscribe', conversation_id: conversationId, request_id: requestId })
      const answer = await answered.catch((err) => {
        realtime.close()
        throw err
      })
      if (answer.type === 'error') {
        realtime.close()
        throw new ApiError(0, { detail: answer.message, status_code: 0, error_code: answer.code })
      }
      const stopFrames = realtime.onFrame(onFrame)
      const stopClose = realtime.onClose((event) => onFrame({ type: 'closed', code: event.code }))
      return {
        close() {
          stopFrames()
          stopClose()
          realtime.close()
        }
      }
    }
  }
  return session
}
