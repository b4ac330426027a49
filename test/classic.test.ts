import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import tap from 'tap'
import { sha256 } from '../src/domain/crypto.js'
import { build, signUp } from './helper.js'

const t = tap

/** Asserts a classic error: the status and `{"msg"}` with exactly these words. */
function msg(t: Pick<typeof tap, 'equal' | 'same'>, res: LightMyRequestResponse, status: number, words: string) {
  t.equal(res.statusCode, status, `${status} ${words}`)
  t.same(res.json(), { msg: words }, words)
}

let n = 0
/** Registers through /register and signs in through /auth/login. */
async function classicUser(app: FastifyInstance) {
  const email = `classic${++n}@example.com`
  const password = 'correct horse battery'
  const reg = await app.inject({ method: 'POST', url: '/register', payload: { email, password } })
  if (reg.statusCode !== 200) throw new Error(reg.body)
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } })
  const token = login.json().access_token as string
  const me = await app.inject({ method: 'GET', url: '/user', headers: { authorization: `Bearer ${token}` } })
  return { email, password, id: me.json().user.user_id as string, auth: { authorization: `Bearer ${token}` } }
}

type User = Awaited<ReturnType<typeof classicUser>>

async function workspaceOf(app: FastifyInstance, u: User, name = 'Research') {
  const res = await app.inject({ method: 'POST', url: '/workspace', headers: u.auth, payload: { name } })
  return res.json().workspace.workspace_id as string
}

async function chatIn(app: FastifyInstance, u: User, workspaceId: string) {
  const res = await app.inject({ method: 'POST', url: `/chat?workspace_id=${workspaceId}`, headers: u.auth })
  return res.json().chat.chat_id as string
}

const json = (payload: string): Pick<InjectOptions, 'headers' | 'payload'> => ({ headers: { 'content-type': 'application/json' }, payload })

t.test('POST /register: every refusal with its words, then the account works on v1 too', async (t) => {
  const app = await build(t)
  for (const [what, opts] of [
    ['no body', {}],
    ['a body that is not JSON', { headers: { 'content-type': 'text/plain' }, payload: 'email=a' }],
    ['malformed JSON', json('{"email":')],
    ['an empty JSON body', json('')],
    ['JSON that is not an object', json('[1]')]
  ] as const) {
    msg(t, await app.inject({ method: 'POST', url: '/register', ...opts }), 400, 'Missing JSON in request')
    t.pass(what)
  }
  msg(t, await app.inject({ method: 'POST', url: '/register', payload: { email: 'ada@example.com' } }), 400, 'Missing email/password parameter')
  msg(t, await app.inject({ method: 'POST', url: '/register', payload: { password: 'correct horse' } }), 400, 'Missing email/password parameter')
  msg(t, await app.inject({ method: 'POST', url: '/register', payload: { email: '', password: '' } }), 400, 'Missing email/password parameter')

  const ok = await app.inject({ method: 'POST', url: '/register', payload: { email: 'ada@example.com', password: 'correct horse' } })
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { msg: 'User created successfully', email: 'ada@example.com' })
  msg(
    t,
    await app.inject({ method: 'POST', url: '/register', payload: { email: 'ADA@example.com', password: 'another correct horse' } }),
    400,
    'User already exists'
  )

  const v1 = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ada@example.com', password: 'correct horse' } })
  t.equal(v1.statusCode, 200, 'an account registered through /register signs in through v1')
  const short = await app.inject({ method: 'POST', url: '/register', payload: { email: 'bob@example.com', password: 'short' } })
  t.equal(short.statusCode, 400)
  t.match(short.json().msg, /^Invalid password parameter/, 'too short a password is named')
})

t.test('POST /auth/login: unknown user, wrong password, and a token that works on v1', async (t) => {
  const app = await build(t)
  await signUp(app, 'grace@example.com', 'correct horse battery')
  msg(t, await app.inject({ method: 'POST', url: '/auth/login' }), 400, 'Missing JSON in request')
  msg(t, await app.inject({ method: 'POST', url: '/auth/login', ...json('{') }), 400, 'Missing JSON in request')
  msg(t, await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'grace@example.com' } }), 400, 'Missing email/password parameter')
  msg(t, await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'nobody@example.com', password: 'whatever1' } }), 404, 'User not found')
  msg(t, await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'grace@example.com', password: 'wrong horse' } }), 401, 'Incorrect password.')
  const ok = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'Grace@example.com', password: 'correct horse battery' } })
  t.equal(ok.statusCode, 200)
  t.same(Object.keys(ok.json()), ['access_token'])
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${ok.json().access_token}` } })
  t.equal(me.json().email, 'grace@example.com', 'the classic token is a v1 token')
})

t.test('GET and PUT /user', async (t) => {
  const app = await build(t)
  const ada = await classicUser(app)
  const bob = await classicUser(app)
  const unauthenticated = await app.inject({ method: 'GET', url: '/user' })
  t.equal(unauthenticated.statusCode, 401)
  t.type(unauthenticated.json().msg, 'string', 'a 401 in the classic body')

  const got = await app.inject({ method: 'GET', url: '/user', headers: ada.auth })
  t.equal(got.statusCode, 200)
  t.match(got.json(), { user: { user_id: ada.id, email: ada.email, role: 'admin' } })

  const updated = await app.inject({ method: 'PUT', url: '/user', headers: ada.auth, payload: { email: 'ada.new@example.com' } })
  t.equal(updated.statusCode, 200)
  t.same(updated.json(), { msg: 'User updated' })
  t.equal((await app.inject({ method: 'GET', url: '/user', headers: ada.auth })).json().user.email, 'ada.new@example.com')
  t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ada.new@example.com', password: ada.password } })).statusCode, 200)
  t.same((await app.inject({ method: 'PUT', url: '/user', headers: ada.auth })).json(), { msg: 'User updated' }, 'the body is optional')
  msg(t, await app.inject({ method: 'PUT', url: '/user', headers: ada.auth, payload: { email: bob.email } }), 400, 'User already exists')
})

t.test('chats: create, get, delete, authorize; owners and strangers', async (t) => {
  const app = await build(t)
  const ada = await classicUser(app)
  const eve = await classicUser(app)
  const ws = await workspaceOf(app, ada)
  const missing = '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'

  // POST /chat
  msg(t, await app.inject({ method: 'POST', url: '/chat', headers: ada.auth }), 400, 'Missing workspace id')
  msg(t, await app.inject({ method: 'POST', url: `/chat?workspace_id=${missing}`, headers: ada.auth }), 404, 'Workspace not found')
  msg(t, await app.inject({ method: 'POST', url: `/chat?workspace_id=${ws}`, headers: eve.auth }), 401, 'User is not the owner of the workspace')
  const made = await app.inject({ method: 'POST', url: `/chat?workspace_id=${ws}`, headers: ada.auth })
  t.equal(made.statusCode, 200)
  t.match(made.json(), {
    msg: 'Chat created successfully',
    chat: { chat_id: String, workspace_id: ws, created_by: ada.id, owner: ada.id },
    workspace: { workspace_id: ws, owner: ada.id, name: 'Research' }
  })
  const chat = made.json().chat.chat_id as string
  const v1 = await app.inject({ method: 'GET', url: `/api/v1/conversations/${chat}`, headers: ada.auth })
  t.equal(v1.statusCode, 200, 'a classic chat is a v1 conversation')
  t.equal(v1.json().workspace_id, ws)

  // GET /chat, with a message sent through v1
  await app.inject({ method: 'POST', url: `/api/v1/conversations/${chat}/messages`, headers: ada.auth, payload: { content: 'hello from v1' } })
  msg(t, await app.inject({ method: 'GET', url: '/chat', headers: ada.auth }), 400, 'Missing chat id')
  msg(t, await app.inject({ method: 'GET', url: `/chat?chat_id=${missing}`, headers: ada.auth }), 404, 'Chat not found')
  msg(t, await app.inject({ method: 'GET', url: `/chat?chat_id=${chat}`, headers: eve.auth }), 401, 'User is not the owner of the chat')
  const got = await app.inject({ method: 'GET', url: `/chat?chat_id=${chat}`, headers: ada.auth })
  t.equal(got.statusCode, 200)
  t.match(got.json(), { chat_id: chat, owner: ada.id, workspace_id: ws, messages: [{ seq: 1, content: 'hello from v1', sender_id: ada.id, role: 'user' }] })

  // GET /chat/authorize and /chat/authorize/message
  for (const [path, field] of [
    ['/chat/authorize', 'connection_string'],
    ['/chat/authorize/message', 'message_string']
  ] as const) {
    msg(t, await app.inject({ method: 'GET', url: `${path}?chat_id=${missing}`, headers: ada.auth }), 404, 'Chat not found')
    msg(t, await app.inject({ method: 'GET', url: `${path}?chat_id=${chat}`, headers: eve.auth }), 401, 'User is not the owner of the chat')
    const res = await app.inject({ method: 'GET', url: `${path}?chat_id=${chat}`, headers: ada.auth })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.same(Object.keys(body).sort(), [field, 'created_at', 'created_by', 'expires_at'].sort())
    t.equal(body.created_by, ada.id)
    t.ok(Date.parse(body.expires_at) > Date.parse(body.created_at), 'it expires after it is made')
    const secret = body[field] as string
    t.ok(secret.length >= 40, 'random')
    const rows = app.database.sqlite.prepare('select * from chat_secrets').all() as Record<string, unknown>[]
    t.ok(
      rows.some((r) => r.secret_hash === sha256(secret)),
      'stored as its hash'
    )
    t.notOk(JSON.stringify(rows).includes(secret), 'never in the clear')
  }

  // DELETE /chat
  msg(t, await app.inject({ method: 'DELETE', url: `/chat?chat_id=${missing}`, headers: ada.auth }), 404, 'Chat not found')
  msg(t, await app.inject({ method: 'DELETE', url: `/chat?chat_id=${chat}`, headers: eve.auth }), 401, 'User is not the owner of the chat')
  const deleted = await app.inject({ method: 'DELETE', url: `/chat?chat_id=${chat}`, headers: ada.auth })
  t.equal(deleted.statusCode, 200)
  t.same(deleted.json(), { msg: 'Chat deleted successfully' })
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/conversations/${chat}`, headers: ada.auth })).statusCode, 404)
  t.equal((app.database.sqlite.prepare('select count(*) as n from chat_secrets').get() as { n: number }).n, 0, 'its secrets go with it')
})

t.test('workspaces: create, list, get, delete, chats', async (t) => {
  const app = await build(t)
  const ada = await classicUser(app)
  const eve = await classicUser(app)
  const mia = await classicUser(app)
  const missing = '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'

  const untitled = await app.inject({ method: 'POST', url: '/workspace', headers: ada.auth })
  t.equal(untitled.statusCode, 200)
  t.match(untitled.json(), { msg: 'Workspace created', workspace: { name: 'Untitled Workspace', owner: ada.id, workspace_id: String } })
  t.equal((await app.inject({ method: 'POST', url: '/workspace', headers: ada.auth, payload: {} })).json().workspace.name, 'Untitled Workspace')
  const named = await app.inject({ method: 'POST', url: '/workspace', headers: ada.auth, payload: { name: 'My New Workspace' } })
  t.equal(named.json().workspace.name, 'My New Workspace')
  const ws = named.json().workspace.workspace_id as string
  const v1Made = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: ada.auth, payload: { name: 'From v1' } })

  for (const url of ['/workspace', '/workspace/']) {
    const list = await app.inject({ method: 'GET', url, headers: ada.auth })
    t.equal(list.statusCode, 200, url)
    t.same(
      list.json().workspaces.map((w: { name: string }) => w.name),
      ['Untitled Workspace', 'Untitled Workspace', 'My New Workspace', 'From v1'],
      `${url}: every workspace of the caller, v1's too`
    )
  }
  t.same((await app.inject({ method: 'GET', url: '/workspace', headers: eve.auth })).json(), { workspaces: [] })
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/workspaces/${ws}`, headers: ada.auth })).json().name, 'My New Workspace', 'a v1 workspace')

  // GET /workspace/{id}
  msg(t, await app.inject({ method: 'GET', url: `/workspace/${missing}`, headers: ada.auth }), 404, 'Workspace not found')
  msg(t, await app.inject({ method: 'GET', url: `/workspace/${ws}`, headers: eve.auth }), 403, 'User does not have access to the workspace')
  const got = await app.inject({ method: 'GET', url: `/workspace/${ws}`, headers: ada.auth })
  t.match(got.json(), { workspace: { workspace_id: ws, name: 'My New Workspace', owner: ada.id } })

  // GET /workspace/{id}/chats
  const chat = await chatIn(app, ada, ws)
  msg(t, await app.inject({ method: 'GET', url: `/workspace/${missing}/chats`, headers: ada.auth }), 404, 'Workspace not found')
  msg(t, await app.inject({ method: 'GET', url: `/workspace/${ws}/chats`, headers: eve.auth }), 403, 'User does not have access to the workspace')
  const chats = await app.inject({ method: 'GET', url: `/workspace/${ws}/chats`, headers: ada.auth })
  t.equal(chats.statusCode, 200)
  t.match(chats.json(), { chats: [{ chat_id: chat, workspace_id: ws }] })
  t.equal(chats.json().chats.length, 1)

  // DELETE /workspace/{id}: a member who is not its owner may not.
  await app.inject({ method: 'POST', url: `/api/v1/workspaces/${ws}/members`, headers: ada.auth, payload: { user_id: mia.id, role: 'member' } })
  msg(t, await app.inject({ method: 'DELETE', url: `/workspace/${missing}`, headers: ada.auth }), 404, 'Workspace not found')
  msg(t, await app.inject({ method: 'DELETE', url: `/workspace/${ws}`, headers: eve.auth }), 403, 'User does not have access to the workspace')
  msg(t, await app.inject({ method: 'DELETE', url: `/workspace/${ws}`, headers: mia.auth }), 403, 'User is not the owner of the workspace')
  const deleted = await app.inject({ method: 'DELETE', url: `/workspace/${ws}`, headers: ada.auth })
  t.same(deleted.json(), { msg: 'Workspace deleted' })
  t.equal(deleted.statusCode, 200)
  msg(t, await app.inject({ method: 'GET', url: `/workspace/${ws}`, headers: ada.auth }), 404, 'Workspace not found')
  msg(t, await app.inject({ method: 'GET', url: `/chat?chat_id=${chat}`, headers: ada.auth }), 404, 'Chat not found')
  t.equal(v1Made.statusCode, 201)
})

t.test('workspace agents and renaming', async (t) => {
  const app = await build(t)
  const ada = await classicUser(app)
  const eve = await classicUser(app)
  const mia = await classicUser(app)
  const missing = '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'
  const ws = await workspaceOf(app, ada)
  await app.inject({ method: 'POST', url: `/api/v1/workspaces/${ws}/members`, headers: ada.auth, payload: { user_id: mia.id, role: 'member' } })
  const assistant = (await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: ada.auth, payload: { name: 'Helper' } })).json().id as string

  for (const method of ['POST', 'DELETE'] as const) {
    const url = `/workspace/${ws}/agent`
    msg(t, await app.inject({ method, url, headers: ada.auth }), 400, 'Missing JSON in request')
    msg(
      t,
      await app.inject({ method, url, headers: { ...ada.auth, 'content-type': 'application/json' }, payload: '{"agent_id"' }),
      400,
      'Missing JSON in request'
    )
    msg(t, await app.inject({ method, url, headers: ada.auth, payload: {} }), 400, 'Missing agent_id parameter')
    msg(t, await app.inject({ method, url: `/workspace/${missing}/agent`, headers: ada.auth, payload: { agent_id: assistant } }), 404, 'Workspace not found')
    msg(t, await app.inject({ method, url, headers: mia.auth, payload: { agent_id: assistant } }), 403, 'User is not the owner of the workspace')
    msg(t, await app.inject({ method, url, headers: eve.auth, payload: { agent_id: assistant } }), 403, 'User does not have access to the workspace')
  }
  msg(t, await app.inject({ method: 'POST', url: `/workspace/${ws}/agent`, headers: ada.auth, payload: { agent_id: missing } }), 404, 'Agent not found')
  const added = await app.inject({ method: 'POST', url: `/workspace/${ws}/agent`, headers: ada.auth, payload: { agent_id: assistant } })
  t.equal(added.statusCode, 200)
  t.same(added.json(), { msg: 'Agent added to Workspace.' })
  t.same((await app.inject({ method: 'GET', url: `/workspace/${ws}`, headers: ada.auth })).json().workspace.agents, [assistant])
  t.equal(
    (await app.inject({ method: 'GET', url: `/api/v1/workspaces/${ws}/agents`, headers: ada.auth })).json().items[0].assistant_id,
    assistant,
    'v1 sees it'
  )
  const removed = await app.inject({ method: 'DELETE', url: `/workspace/${ws}/agent`, headers: ada.auth, payload: { agent_id: assistant } })
  t.equal(removed.statusCode, 200)
  t.same(removed.json(), { msg: 'Agent removed' })
  msg(
    t,
    await app.inject({ method: 'DELETE', url: `/workspace/${ws}/agent`, headers: ada.auth, payload: { agent_id: assistant } }),
    404,
    'Agent not found in workspace'
  )

  const rename = `/workspace/${ws}/rename`
  msg(t, await app.inject({ method: 'PUT', url: rename, headers: ada.auth }), 400, 'Missing JSON in request')
  msg(t, await app.inject({ method: 'PUT', url: rename, headers: ada.auth, payload: {} }), 400, 'Missing name parameter')
  msg(t, await app.inject({ method: 'PUT', url: rename, headers: ada.auth, payload: { name: '' } }), 400, 'Missing name parameter')
  msg(t, await app.inject({ method: 'PUT', url: `/workspace/${missing}/rename`, headers: ada.auth, payload: { name: 'X' } }), 404, 'Workspace not found')
  msg(t, await app.inject({ method: 'PUT', url: rename, headers: mia.auth, payload: { name: 'X' } }), 403, 'User is not the owner of the workspace')
  msg(t, await app.inject({ method: 'PUT', url: rename, headers: eve.auth, payload: { name: 'X' } }), 403, 'User does not have access to the workspace')
  const renamed = await app.inject({ method: 'PUT', url: rename, headers: ada.auth, payload: { name: 'New Workspace Name' } })
  t.equal(renamed.statusCode, 200)
  t.same(renamed.json(), { msg: 'Workspace renamed' })
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/workspaces/${ws}`, headers: ada.auth })).json().name, 'New Workspace Name')
})

t.test('GET /agent/download installs packages from the registry folder as assistants', async (t) => {
  const registry = mkdtempSync(join(tmpdir(), 'agents-'))
  t.teardown(() => rmSync(registry, { recursive: true, force: true }))
  const put = (name: string, version: string, manifest: unknown) => {
    mkdirSync(join(registry, name, version), { recursive: true })
    writeFileSync(join(registry, name, version, 'agent.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest))
  }
  const manifest = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
    name,
    version,
    description: `${name} ${version}`,
    system_prompt: 'Be brief.',
    model: 'offline',
    tools: ['calculator'],
    ...extra
  })
  put('summarizer', '1.2.0', manifest('summarizer', '1.2.0'))
  put('summarizer', '1.10.0', manifest('summarizer', '1.10.0'))
  put('summarizer', '2.0.0-beta.1', manifest('summarizer', '2.0.0-beta.1'))
  put('broken', '1.0.0', '{ not json')
  put('strange', '1.0.0', manifest('strange', '1.0.0', { model: 'nowhere:model' }))
  mkdirSync(join(registry, 'summarizer', 'not-a-version'))

  const app = await build(t, { agentRegistryDir: registry })
  const ada = await classicUser(app)
  const text = (res: LightMyRequestResponse, status: number, body: string) => {
    t.equal(res.statusCode, status, body)
    t.equal(res.body, body)
    t.match(res.headers['content-type'], /^text\/plain/)
  }

  const noQuery = await app.inject({ method: 'GET', url: '/agent/download' })
  t.equal(noQuery.statusCode, 400)
  t.same(noQuery.json(), { error: "Missing param 'query'" })
  text(await app.inject({ method: 'GET', url: '/agent/download?query=agentName&version=1.2.3' }), 404, 'Package not found: agentName:1.2.3')
  text(await app.inject({ method: 'GET', url: '/agent/download?query=summarizer&version=9.9.9' }), 404, 'Package not found: summarizer:9.9.9')
  text(await app.inject({ method: 'GET', url: '/agent/download?query=..&version=1.0.0' }), 404, 'Package not found: ..:1.0.0')
  text(await app.inject({ method: 'GET', url: '/agent/download?query=nothing' }), 404, 'Package not found: nothing:latest')

  text(await app.inject({ method: 'GET', url: '/agent/download?query=summarizer' }), 200, 'Successfully installed summarizer:1.10.0')
  text(await app.inject({ method: 'GET', url: '/agent/download?query=summarizer&version=2.0.0-beta.1' }), 200, 'Successfully installed summarizer:2.0.0-beta.1')
  put('nightly', '0.1.0-rc.1', manifest('nightly', '0.1.0-rc.1'))
  text(await app.inject({ method: 'GET', url: '/agent/download?query=nightly' }), 200, 'Successfully installed nightly:0.1.0-rc.1')
  text(await app.inject({ method: 'GET', url: '/agent/download?query=summarizer&version=1.2.0' }), 200, 'Successfully installed summarizer:1.2.0')
  text(
    await app.inject({ method: 'GET', url: '/agent/download?query=summarizer&version=1.2.0', headers: ada.auth }),
    200,
    'Successfully installed summarizer:1.2.0'
  )
  const installed = (await app.inject({ method: 'GET', url: '/api/v1/assistants?category=package', headers: ada.auth })).json().items as {
    id: string
    name: string
    description: string
    tools: string[]
    model: string
  }[]
  t.same(
    installed.map((a) => a.description).sort(),
    ['nightly 0.1.0-rc.1', 'summarizer 1.10.0', 'summarizer 1.2.0', 'summarizer 2.0.0-beta.1'],
    'one assistant per name and version'
  )
  t.match(
    installed.find((a) => a.description === 'summarizer 1.10.0'),
    { name: 'summarizer', tools: ['calculator'], model: 'offline' }
  )

  const broken = await app.inject({ method: 'GET', url: '/agent/download?query=broken' })
  t.equal(broken.statusCode, 502)
  t.match(broken.body, /^Failed to download package: broken:latest, agent\.json cannot be read/)
  const strange = await app.inject({ method: 'GET', url: '/agent/download?query=strange&version=1.0.0' })
  t.equal(strange.statusCode, 502)
  t.match(strange.body, /^Failed to download package: strange:1\.0\.0, Unknown model/)

  // An installed package is an agent anyone can add to a workspace.
  const ws = await workspaceOf(app, ada)
  const added = await app.inject({ method: 'POST', url: `/workspace/${ws}/agent`, headers: ada.auth, payload: { agent_id: installed[0]!.id } })
  t.same(added.json(), { msg: 'Agent added to Workspace.' })
})

t.test('the example package in the repository installs', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/agent/download?query=writing-coach' })
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'Successfully installed writing-coach:1.0.0')
})

t.test('GET /ping, unknown routes, and paths that are not classic', async (t) => {
  const app = await build(t)
  const ping = await app.inject({ method: 'GET', url: '/ping' })
  t.equal(ping.statusCode, 200)
  t.same(ping.json(), { msg: 'pong' })
  const unknown = await app.inject({ method: 'GET', url: '/workspace/x/y/z' })
  t.equal(unknown.statusCode, 404)
  t.same(Object.keys(unknown.json()), ['msg'], 'an unknown classic route answers in the classic body')
  const plural = await app.inject({ method: 'GET', url: '/workspaces' })
  t.equal(plural.json().error_code, 'NOT_FOUND', '/workspaces is not classic')
  const doc = await app.inject({ method: 'GET', url: '/openapi/classic.json' })
  t.equal(doc.statusCode, 200)
  const paths = Object.keys(doc.json().paths).sort()
  t.same(paths, [
    '/agent/download',
    '/auth/login',
    '/chat',
    '/chat/authorize',
    '/chat/authorize/message',
    '/ping',
    '/register',
    '/user',
    '/workspace',
    '/workspace/{workspace_id}',
    '/workspace/{workspace_id}/agent',
    '/workspace/{workspace_id}/chats',
    '/workspace/{workspace_id}/rename'
  ])
})
