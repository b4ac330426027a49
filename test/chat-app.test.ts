import { readFileSync } from 'node:fs'
import { Validator } from '@seriousme/openapi-schema-validator'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { type Account, build, signUp } from './helper.js'

/** Asserts the chat-app error body, exactly: `{ error: { message, status } }`. */
function chatAppError(t: Test, res: LightMyRequestResponse, status: number, message: string | RegExp): void {
  t.equal(res.statusCode, status, `${status}: ${res.body}`)
  const body = res.json()
  t.same(Object.keys(body), ['error'], 'only `error`')
  t.same(Object.keys(body.error).sort(), ['message', 'status'])
  t.equal(body.error.status, status)
  if (typeof message === 'string') t.equal(body.error.message, message)
  else t.match(body.error.message, message)
}

const PASSWORD = 'correct horse battery'

async function register(app: FastifyInstance, email: string, name = 'Ada Lovelace') {
  return app.inject({ method: 'POST', url: '/api/auth/register', payload: { email, password: PASSWORD, name } })
}

/** Registers and signs in through the chat-app routes. */
async function chatAppAccount(app: FastifyInstance, email: string, name: string): Promise<Account> {
  const reg = await register(app, email, name)
  if (reg.statusCode !== 201) throw new Error(reg.body)
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: PASSWORD } })
  const token = login.json().access_token
  return { id: reg.json().user_id, email, token, refresh: login.json().refresh_token, auth: { authorization: `Bearer ${token}` } }
}

const UNKNOWN = '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'

t.test('register and login: the same accounts as v1', async (t) => {
  const app = await build(t)

  const reg = await register(app, 'ada@example.com')
  t.equal(reg.statusCode, 201)
  const profile = reg.json()
  t.same(Object.keys(profile).sort(), ['email', 'name', 'profile_picture', 'user_id'])
  t.match(profile, { email: 'ada@example.com', name: 'Ada Lovelace', profile_picture: null, user_id: /^[0-9a-f-]{36}$/ })

  chatAppError(t, await register(app, 'ADA@example.com'), 409, 'A user with this email already exists')
  chatAppError(t, await app.inject({ method: 'POST', url: '/api/auth/register', payload: {} }), 400, 'Missing required fields: email, password, name')
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'x@example.com', password: 'short', name: 'X' } }),
    400,
    'Invalid field: password must NOT have fewer than 8 characters'
  )
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'not-an-email', password: PASSWORD } }),
    400,
    'Missing required field: name. Invalid field: email must match format "email"'
  )
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/auth/register', headers: { 'content-type': 'application/json' }, payload: '{"email":' }),
    400,
    'The request body is not valid JSON'
  )

  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  t.equal(login.statusCode, 200)
  const tokens = login.json()
  t.match(tokens, { access_token: String, refresh_token: String, token_type: 'bearer', expires_in: 1800, user_id: profile.user_id })
  // The token is a v1 token; the account is a v1 account.
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${tokens.access_token}` } })
  t.equal(me.statusCode, 200)
  t.match(me.json(), { id: profile.user_id, email: 'ada@example.com', full_name: 'Ada Lovelace' })
  const viaV1 = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  t.equal(viaV1.statusCode, 200, 'an account registered here signs in through v1')
  const v1Account = await signUp(app, 'grace@example.com')
  const back = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'grace@example.com', password: PASSWORD } })
  t.equal(back.json().user_id, v1Account.id, 'and one registered through v1 signs in here')

  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'ada@example.com', password: 'wrong password' } }),
    401,
    'Incorrect email or password'
  )
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password: PASSWORD } }),
    401,
    'Incorrect email or password'
  )
  chatAppError(t, await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'ada@example.com' } }), 400, 'Missing required field: password')
  // A disabled account is refused like a wrong password, so neither tells an account exists.
  const admin = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  await app.inject({
    method: 'PUT',
    url: `/api/v1/users/${v1Account.id}`,
    headers: { authorization: `Bearer ${admin.json().access_token}` },
    payload: { is_active: false }
  })
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'grace@example.com', password: PASSWORD } }),
    401,
    'Incorrect email or password'
  )
})

t.test('users: everyone signed in sees every profile, never a password', async (t) => {
  const app = await build(t)
  const ada = await chatAppAccount(app, 'ada@example.com', 'Ada')
  const bob = await signUp(app, 'bob@example.com') // through v1, without a name

  for (const url of ['/api/users', '/api/users/']) {
    const res = await app.inject({ method: 'GET', url, headers: bob.auth })
    t.equal(res.statusCode, 200, url)
    t.same(res.json(), [
      { user_id: ada.id, email: 'ada@example.com', name: 'Ada', profile_picture: null },
      { user_id: bob.id, email: 'bob@example.com', name: null, profile_picture: null }
    ])
    t.notMatch(res.body, /password/)
  }
  const one = await app.inject({ method: 'GET', url: `/api/users/${ada.id}`, headers: bob.auth })
  t.equal(one.statusCode, 200)
  t.same(one.json(), { user_id: ada.id, email: 'ada@example.com', name: 'Ada', profile_picture: null })
  t.notMatch(one.body, /password/)

  chatAppError(t, await app.inject({ method: 'GET', url: `/api/users/${UNKNOWN}`, headers: bob.auth }), 404, 'User not found')
  chatAppError(t, await app.inject({ method: 'GET', url: '/api/users/not-an-id', headers: bob.auth }), 404, 'User not found')
  chatAppError(t, await app.inject({ method: 'GET', url: '/api/users' }), 401, 'Not authenticated: send Authorization: Bearer <token>')
  chatAppError(t, await app.inject({ method: 'GET', url: `/api/users/${ada.id}` }), 401, 'Not authenticated: send Authorization: Bearer <token>')
  chatAppError(t, await app.inject({ method: 'GET', url: '/api/users', headers: { authorization: 'Bearer nope' } }), 401, 'Invalid or expired access token')
})

t.test('conversations between people: made, listed to their people only, read in order', async (t) => {
  const app = await build(t)
  const ada = await chatAppAccount(app, 'ada@example.com', 'Ada')
  const bob = await chatAppAccount(app, 'bob@example.com', 'Bob')
  const cy = await chatAppAccount(app, 'cy@example.com', 'Cy')

  const made = await app.inject({ method: 'POST', url: '/api/conversations', headers: ada.auth, payload: { is_ai: false, participant_id: bob.id } })
  t.equal(made.statusCode, 201)
  const conv = made.json()
  t.same(Object.keys(conv).sort(), ['assistant_id', 'conversation_id', 'created_at', 'is_ai', 'last_message_at', 'participant_ids'])
  t.match(conv, { is_ai: false, assistant_id: null, last_message_at: null })
  t.same([...conv.participant_ids].sort(), [ada.id, bob.id].sort())

  const group = await app.inject({ method: 'POST', url: '/api/conversations/', headers: cy.auth, payload: { participant_ids: [ada.id, bob.id, cy.id] } })
  t.equal(group.statusCode, 201, 'is_ai defaults to false; the caller may name themself')
  t.equal(group.json().participant_ids.length, 3)

  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/conversations', headers: ada.auth, payload: { is_ai: false } }),
    400,
    'Missing required field: participant_id or participant_ids (when is_ai is false)'
  )
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/conversations', headers: ada.auth, payload: { participant_id: ada.id } }),
    400,
    'A conversation between people needs another user than yourself'
  )
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/conversations', headers: ada.auth, payload: { participant_ids: [UNKNOWN] } }),
    400,
    `Invalid field: participant_ids unknown user id(s): ${UNKNOWN}`
  )
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/conversations', headers: ada.auth, payload: { is_ai: 'maybe', participant_id: bob.id } }),
    400,
    'Invalid field: is_ai must be boolean'
  )
  chatAppError(t, await app.inject({ method: 'POST', url: '/api/conversations', payload: { participant_id: bob.id } }), 401, /Not authenticated/)

  // A conversation made through v1 is one of Ada's here too.
  const v1Conv = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [cy.id], is_ai: false } })
  t.equal(v1Conv.statusCode, 201)

  const list = async (who: Account) => {
    const res = await app.inject({ method: 'GET', url: '/api/conversations', headers: who.auth })
    t.equal(res.statusCode, 200)
    return (res.json() as { conversation_id: string }[]).map((c) => c.conversation_id).sort()
  }
  t.same(await list(ada), [conv.conversation_id, group.json().conversation_id, v1Conv.json().id].sort())
  t.same(await list(bob), [conv.conversation_id, group.json().conversation_id].sort())
  const dee = await chatAppAccount(app, 'dee@example.com', 'Dee')
  t.same(await list(dee), [], "nobody else's")
  chatAppError(t, await app.inject({ method: 'GET', url: '/api/conversations' }), 401, /Not authenticated/)

  // Messages from here and from v1, in order.
  const send = (who: Account, message: string, url = '/api/messages') =>
    app.inject({ method: 'POST', url, headers: who.auth, payload: { conversation_id: conv.conversation_id, sender_id: who.id, message } })
  const first = await send(ada, 'Hi, how are you?')
  t.equal(first.statusCode, 200)
  t.same(Object.keys(first.json()).sort(), ['message', 'message_id', 'timestamp'])
  t.match(first.json(), { message: 'Hi, how are you?', message_id: /^[0-9a-f-]{36}$/, timestamp: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ })
  const second = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conv.conversation_id}/messages`,
    headers: bob.auth,
    payload: { content: "I'm good, thanks!" }
  })
  t.equal(second.statusCode, 201)
  t.equal((await send(ada, 'Glad to hear', '/api/messages/')).statusCode, 200, 'with a trailing slash too')

  const history = await app.inject({ method: 'GET', url: `/api/conversations/${conv.conversation_id}`, headers: bob.auth })
  t.equal(history.statusCode, 200)
  t.same(
    history.json().map((m: { sender_id: string; message: string }) => [m.sender_id, m.message]),
    [
      [ada.id, 'Hi, how are you?'],
      [bob.id, "I'm good, thanks!"],
      [ada.id, 'Glad to hear']
    ]
  )
  t.same(Object.keys(history.json()[0]).sort(), ['message', 'sender_id', 'timestamp'])
  t.equal(history.json()[0].timestamp, first.json().timestamp)
  // The message is a v1 message.
  const v1Messages = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.conversation_id}/messages`, headers: bob.auth })
  t.equal(v1Messages.json().items[0].id, first.json().message_id)
  const listed = (await app.inject({ method: 'GET', url: '/api/conversations', headers: bob.auth })).json()
  t.equal(listed[0].conversation_id, conv.conversation_id, 'latest activity first')
  t.type(listed[0].last_message_at, 'string')

  chatAppError(t, await app.inject({ method: 'GET', url: `/api/conversations/${conv.conversation_id}`, headers: dee.auth }), 404, 'Conversation not found')
  chatAppError(t, await app.inject({ method: 'GET', url: `/api/conversations/${UNKNOWN}`, headers: dee.auth }), 404, 'Conversation not found')
  chatAppError(t, await app.inject({ method: 'GET', url: '/api/conversations/nope', headers: dee.auth }), 404, 'Conversation not found')
  chatAppError(t, await app.inject({ method: 'GET', url: `/api/conversations/${conv.conversation_id}` }), 401, /Not authenticated/)
})

t.test('messages: the sender is the caller, the conversation theirs', async (t) => {
  const app = await build(t)
  const ada = await chatAppAccount(app, 'ada@example.com', 'Ada')
  const bob = await chatAppAccount(app, 'bob@example.com', 'Bob')
  const cy = await chatAppAccount(app, 'cy@example.com', 'Cy')
  const conv = (await app.inject({ method: 'POST', url: '/api/conversations', headers: ada.auth, payload: { participant_id: bob.id } })).json()
  const post = (who: Account, payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/messages', headers: who.auth, payload })

  chatAppError(
    t,
    await post(ada, { conversation_id: conv.conversation_id, sender_id: bob.id, message: 'I am Bob' }),
    403,
    'You can only act as yourself: sender_id must be your own user id'
  )
  chatAppError(t, await post(cy, { conversation_id: conv.conversation_id, sender_id: cy.id, message: 'let me in' }), 404, 'Conversation not found')
  chatAppError(t, await post(ada, { conversation_id: UNKNOWN, sender_id: ada.id, message: 'hello?' }), 404, 'Conversation not found')
  chatAppError(t, await post(ada, { conversation_id: conv.conversation_id, sender_id: ada.id }), 400, 'Missing required field: message')
  chatAppError(t, await post(ada, {}), 400, 'Missing required fields: conversation_id, sender_id, message')
  chatAppError(
    t,
    await post(ada, { conversation_id: conv.conversation_id, sender_id: ada.id, message: '' }),
    400,
    'Invalid field: message must NOT have fewer than 1 characters'
  )
  chatAppError(
    t,
    await app.inject({ method: 'POST', url: '/api/messages', payload: { conversation_id: conv.conversation_id, sender_id: ada.id, message: 'hi' } }),
    401,
    /Not authenticated/
  )

  // A viewer of a workspace sees its conversations but may not post: 403.
  const ws = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: ada.auth, payload: { name: 'Team' } })
  const wsId = ws.json().id
  t.equal(
    (await app.inject({ method: 'POST', url: `/api/v1/workspaces/${wsId}/members`, headers: ada.auth, payload: { user_id: cy.id, role: 'viewer' } }))
      .statusCode,
    201
  )
  const inWs = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { workspace_id: wsId, is_ai: false } })
  const wsConv = inWs.json().id
  t.equal((await app.inject({ method: 'GET', url: `/api/conversations/${wsConv}`, headers: cy.auth })).statusCode, 200, 'the viewer reads')
  chatAppError(t, await post(cy, { conversation_id: wsConv, sender_id: cy.id, message: 'may I?' }), 403, 'You may read this conversation but not post in it')
  t.same((await app.inject({ method: 'GET', url: `/api/conversations/${wsConv}`, headers: ada.auth })).json(), [], 'nothing was posted')
})

t.test('is_ai: a conversation with the default assistant, whose replies arrive as messages', async (t) => {
  const app = await build(t)
  const ada = await chatAppAccount(app, 'ada@example.com', 'Ada')
  const bob = await chatAppAccount(app, 'bob@example.com', 'Bob')

  const made = await app.inject({ method: 'POST', url: '/api/conversations', headers: ada.auth, payload: { is_ai: true } })
  t.equal(made.statusCode, 201)
  const conv = made.json()
  t.match(conv, { is_ai: true, assistant_id: /^[0-9a-f-]{36}$/, participant_ids: [ada.id] })
  const again = (await app.inject({ method: 'POST', url: '/api/conversations', headers: bob.auth, payload: { is_ai: true } })).json()
  t.equal(again.assistant_id, conv.assistant_id, 'one default assistant')
  const assistant = await app.inject({ method: 'GET', url: `/api/v1/assistants/${conv.assistant_id}`, headers: bob.auth })
  t.equal(assistant.statusCode, 200, 'a real assistant everyone may talk to')
  t.match(assistant.json(), { name: 'Assistant', status: 'active', visibility: 'public', owner_id: null })
  t.notOk('tools' in assistant.json(), 'its tool setup is for admins only')

  const sent = await app.inject({
    method: 'POST',
    url: '/api/messages',
    headers: ada.auth,
    payload: { conversation_id: conv.conversation_id, sender_id: ada.id, message: 'calculate 2+3*4' }
  })
  t.equal(sent.statusCode, 200)
  t.equal(await app.services.replies.replyTo(sent.json().message_id), 'completed')

  const history = (await app.inject({ method: 'GET', url: `/api/conversations/${conv.conversation_id}`, headers: ada.auth })).json()
  t.equal(history.length, 2, 'the question and the answer; the tool calls between are not shown')
  t.same(history[0], { sender_id: ada.id, message: 'calculate 2+3*4', timestamp: sent.json().timestamp })
  t.equal(history[1].sender_id, conv.assistant_id, "the reply is the assistant's")
  t.match(history[1].message, /14/)
  chatAppError(t, await app.inject({ method: 'GET', url: `/api/conversations/${conv.conversation_id}`, headers: bob.auth }), 404, 'Conversation not found')
})

t.test('connect: answers for one who may open the socket; a plain GET is told to upgrade', async (t) => {
  const app = await build(t)
  const ada = await chatAppAccount(app, 'ada@example.com', 'Ada')
  const bob = await chatAppAccount(app, 'bob@example.com', 'Bob')
  const conv = (await app.inject({ method: 'POST', url: '/api/conversations', headers: ada.auth, payload: { is_ai: true } })).json()
  const url = `/api/conversations/${conv.conversation_id}/connect`

  const ok = await app.inject({ method: 'POST', url, headers: ada.auth })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { status: 'WebSocket connected', conversation_id: conv.conversation_id })
  chatAppError(t, await app.inject({ method: 'POST', url, headers: bob.auth }), 404, 'Conversation not found')
  chatAppError(t, await app.inject({ method: 'POST', url: `/api/conversations/${UNKNOWN}/connect`, headers: ada.auth }), 404, 'Conversation not found')
  chatAppError(t, await app.inject({ method: 'POST', url }), 401, /Not authenticated/)
  chatAppError(t, await app.inject({ method: 'GET', url, headers: ada.auth }), 426, 'Open this path as a WebSocket (GET with Upgrade: websocket)')
  chatAppError(t, await app.inject({ method: 'GET', url, headers: bob.auth }), 404, 'Conversation not found')
})

t.test('every failure under the four prefixes answers in the chat-app body; other paths keep theirs', async (t) => {
  const app = await build(t)
  chatAppError(t, await app.inject({ method: 'GET', url: '/api/users/a/b' }), 404, 'Route GET /api/users/a/b not found')
  chatAppError(t, await app.inject({ method: 'GET', url: '/api/auth/nope' }), 404, 'Route GET /api/auth/nope not found')
  chatAppError(t, await app.inject({ method: 'DELETE', url: '/api/messages' }), 405, 'DELETE is not allowed on /api/messages; use POST')
  chatAppError(t, await app.inject({ method: 'PUT', url: '/api/conversations' }), 405, 'PUT is not allowed on /api/conversations; use GET, POST')
  for (const url of ['/api/v1/nope', '/api/usersx']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.json().error_code, 'NOT_FOUND', `${url} is not chat-app's`)
  }
  const dispatch = await app.inject({ method: 'GET', url: '/api/workspaces/nope' })
  t.notOk('error' in dispatch.json(), "/api/workspaces is dispatch's, not chat-app's")
})

t.test('sign-in attempts past the limit are a 429 in the chat-app body', async (t) => {
  const app = await build(t, { rateLimitAuthMax: 1 })
  await register(app, 'ada@example.com')
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'ada@example.com', password: PASSWORD } })
  chatAppError(t, res, 429, /./)
  t.ok(res.headers['retry-after'])
})

t.test('openapi/chat-app.json: valid, complete, and what the code generates', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/openapi/chat-app.json' })
  t.equal(res.statusCode, 200)
  const spec = res.json()
  const result = await new Validator().validate(spec)
  t.ok(result.valid, 'validates against the OpenAPI 3.1 schema')
  if (!result.valid) t.comment(JSON.stringify(result.errors, null, 2).slice(0, 4000))
  t.same(Object.keys(spec.paths).sort(), [
    '/api/auth/login',
    '/api/auth/register',
    '/api/conversations',
    '/api/conversations/{conversation_id}',
    '/api/conversations/{conversation_id}/connect',
    '/api/messages',
    '/api/users',
    '/api/users/{user_id}'
  ])
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, { operationId: string; tags: string[]; summary: string }>>)) {
    for (const [method, op] of Object.entries(item)) {
      t.match(op.operationId, /^[a-z][A-Za-z0-9]+$/, `${method} ${path}`)
      t.ok(op.tags.length && op.summary)
    }
  }
  t.ok(spec.components.schemas.ChatAppSocketSend && spec.components.schemas.ChatAppSocketMessage, 'the socket frames are named')
  t.match(spec.info.description, /The conversation WebSocket/)
  t.notOk(JSON.stringify(spec).includes('def-'))
  t.notOk(spec.components.schemas.ErrorResponse, "v1's components are not here")
  const committed = JSON.parse(readFileSync(new URL('../openapi/chat-app.json', import.meta.url), 'utf8'))
  t.same(committed, spec, 'run `npm run openapi` after changing a route or schema')
})
