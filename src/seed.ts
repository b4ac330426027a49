import type { FastifyInstance, InjectOptions } from 'fastify'

/** What `npm run seed` makes, by name, so that a second run finds it instead of making more. */
export const DEMO = {
  email: 'demo@example.com',
  password: 'correct horse battery staple',
  assistant: 'Demo assistant',
  conversation: 'Welcome',
  keyName: 'demo key (npm run seed)'
} as const

export interface SeedOptions {
  email?: string
  password?: string
}

export interface SeedResult {
  email: string
  password: string
  userId: string
  /** Whether this run made the account (else it was there). */
  createdAccount: boolean
  isAdmin: boolean
  assistant: { id: string; name: string; model: string; tools: string[]; created: boolean }
  conversation: { id: string; title: string; created: boolean }
  /** A new API key; the demo key of an earlier run is revoked. */
  apiKey: string
  revokedKeys: number
}

export class SeedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SeedError'
  }
}

/**
 * Makes the demo data through the service's own API (in-process, so every rule applies): an
 * account, an assistant with the built-in tools, a conversation with it, and an API key to call
 * the API with. What is there already is found and kept, so running it twice makes nothing twice;
 * only the key is new each time (a key is shown once), and the previous demo key is revoked.
 */
export async function seed(app: FastifyInstance, options: SeedOptions = {}): Promise<SeedResult> {
  const email = options.email ?? DEMO.email
  const password = options.password ?? DEMO.password
  const call = async (what: string, request: InjectOptions, ok: number[]) => {
    const res = await app.inject(request)
    if (!ok.includes(res.statusCode)) throw new SeedError(`${what} failed: ${res.statusCode} ${res.body}`)
    return res
  }

  const registered = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password, full_name: 'Demo User' } })
  if (registered.statusCode !== 201 && registered.json().error_code !== 'EMAIL_TAKEN') {
    throw new SeedError(`registering ${email} failed: ${registered.statusCode} ${registered.body}`)
  }
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  if (login.statusCode === 401) throw new SeedError(`${email} exists with another password: give SEED_EMAIL and SEED_PASSWORD of an account of yours`)
  if (login.statusCode !== 200) throw new SeedError(`signing in as ${email} failed: ${login.statusCode} ${login.body}`)
  const headers = { authorization: `Bearer ${login.json().access_token}` }
  const me = (await call('reading the account', { method: 'GET', url: '/api/v1/auth/me', headers }, [200])).json()

  const mine = await call('listing assistants', { method: 'GET', url: '/api/v1/assistants?owner_id=me&size=100', headers }, [200])
  let assistant = (mine.json().items as { id: string; name: string; model: string; tools: string[] }[]).find((a) => a.name === DEMO.assistant)
  const createdAssistant = !assistant
  assistant ??= (
    await call(
      'creating the assistant',
      {
        method: 'POST',
        url: '/api/v1/assistants',
        headers,
        payload: {
          name: DEMO.assistant,
          description: 'Made by npm run seed: tells the time and calculates.',
          system_prompt: 'You are a helpful assistant. Use the calculator for arithmetic and current_time for the time.',
          tools: ['calculator', 'current_time'],
          status: 'active'
        }
      },
      [201]
    )
  ).json()
  if (!assistant) throw new SeedError('the assistant was not made')

  const conversations = await call(
    'listing conversations',
    { method: 'GET', url: `/api/v1/conversations?assistant_id=${assistant.id}&size=100`, headers },
    [200]
  )
  let conversation = (conversations.json().items as { id: string; title: string | null }[]).find((c) => c.title === DEMO.conversation)
  const createdConversation = !conversation
  conversation ??= (
    await call(
      'creating the conversation',
      { method: 'POST', url: '/api/v1/conversations', headers, payload: { assistant_id: assistant.id, title: DEMO.conversation } },
      [201]
    )
  ).json()
  if (!conversation) throw new SeedError('the conversation was not made')

  const keys = await call('listing API keys', { method: 'GET', url: '/api/v1/api-keys?size=100', headers }, [200])
  const old = (keys.json().items as { id: string; name: string }[]).filter((k) => k.name === DEMO.keyName)
  for (const k of old) await call('revoking the previous demo key', { method: 'DELETE', url: `/api/v1/api-keys/${k.id}`, headers }, [204])
  const key = await call('creating an API key', { method: 'POST', url: '/api/v1/api-keys', headers, payload: { name: DEMO.keyName } }, [201])

  await call('signing out', { method: 'POST', url: '/api/v1/auth/logout', headers }, [204])
  return {
    email,
    password,
    userId: me.id,
    createdAccount: registered.statusCode === 201,
    isAdmin: me.role === 'admin',
    assistant: { id: assistant.id, name: assistant.name, model: assistant.model, tools: assistant.tools, created: createdAssistant },
    conversation: { id: conversation.id, title: conversation.title ?? DEMO.conversation, created: createdConversation },
    apiKey: key.json().key,
    revokedKeys: old.length
  }
}

/** What `npm run seed` prints: the credentials, the token and the first calls to make. */
export function seedReport(result: SeedResult, where: { database: string; url: string }): string {
  const state = (created: boolean) => (created ? 'made now' : 'already there')
  const { url } = where
  const conversation = result.conversation.id
  return [
    `Demo data in ${where.database}:`,
    `  account       ${result.email} / ${result.password} (${state(result.createdAccount)}${result.isAdmin ? '; an admin, as the first account' : ''})`,
    `  assistant     ${result.assistant.name} ${result.assistant.id} (${state(result.assistant.created)}; model ${result.assistant.model}, tools ${result.assistant.tools.join(', ')})`,
    `  conversation  ${result.conversation.title} ${conversation} (${state(result.conversation.created)})`,
    `  API key       ${result.apiKey}`,
    `                (new on each run${result.revokedKeys ? `; the previous demo key is revoked` : ''}; send it as Authorization: Bearer)`,
    '',
    'With the server running (npm start):',
    `  export TOKEN=${result.apiKey}`,
    `  curl -s ${url}/api/v1/conversations/${conversation}/messages -H "authorization: Bearer $TOKEN" \\`,
    `    -H 'content-type: application/json' -d '{"content":"What is 6*7?"}'`,
    `  curl -s ${url}/api/v1/conversations/${conversation}/messages -H "authorization: Bearer $TOKEN"`,
    `Or sign in at ${url}/docs (Authorize, then the bearer token).`,
    ''
  ].join('\n')
}
