import t from 'tap'
import { build, signUp } from './helper.js'
import { multipartFiles } from './multipart.js'
import { connect } from './ws-helper.js'

// A smoke of each area on one app, for the quick run (`npm run test:quick`): one happy path per
// area, so a broken area shows in seconds. The area's own file tests it in depth.
const app = await build(t)
const admin = await signUp(app) // the first account is the admin
const ada = await signUp(app)

t.test('health and documents', async (t) => {
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/openapi.json' })).json().openapi, '3.1.0')
  t.match((await app.inject({ method: 'GET', url: '/internal/metrics' })).body, /http_requests_total/)
})

t.test('accounts: me, users, API keys', async (t) => {
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: ada.auth })).json().email, ada.email)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: admin.auth })).statusCode, 200)
  const key = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: ada.auth, payload: { name: 'smoke' } })
  t.equal(key.statusCode, 201)
})

t.test('workspaces, assistants, tools', async (t) => {
  const ws = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: ada.auth, payload: { name: 'Smoke' } })
  t.equal(ws.statusCode, 201)
  const assistant = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: ada.auth, payload: { name: 'Helper', tools: ['calculator'] } })
  t.equal(assistant.statusCode, 201)
  const agent = await app.inject({
    method: 'POST',
    url: `/api/v1/workspaces/${ws.json().id}/agents`,
    headers: ada.auth,
    payload: { assistant_id: assistant.json().id }
  })
  t.equal(agent.statusCode, 201)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/tools', headers: ada.auth })).statusCode, 200)
})

t.test('a conversation with an assistant replies over the socket', async (t) => {
  const assistant = (await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: ada.auth, payload: { name: 'Replier' } })).json()
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { assistant_id: assistant.id } })).json()
  const ws = await connect(app, { token: ada.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'subscribe', conversation_id: conv.id })
  await ws.type('subscribed')
  const sent = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv.id}/messages`, headers: ada.auth, payload: { content: 'Hello' } })
  t.equal(sent.statusCode, 201)
  const done = await ws.type('message.completed', 10000)
  t.equal((done.message as { status: string }).status, 'completed')
})

t.test('files, chats, webhooks, models', async (t) => {
  const up = await app.inject({
    method: 'POST',
    url: '/api/v1/files/upload',
    ...multipartFiles(ada.auth, [{ name: 'a.txt', bytes: Buffer.from('hello') }], 'file')
  })
  t.equal(up.statusCode, 201)
  const down = await app.inject({ method: 'GET', url: `/api/v1/files/${up.json().fileid}`, headers: ada.auth })
  t.equal(down.body, 'hello')
  const chat = await app.inject({ method: 'POST', url: '/api/v1/chat', headers: ada.auth, payload: { model_id: 'gpt-4', model_api_source: 'openai' } })
  t.equal(chat.statusCode, 201)
  // A public address literal passes the address guard without DNS; the hook is deleted before any event.
  const hook = await app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    headers: ada.auth,
    payload: { url: 'https://1.1.1.1/hook', events: ['user.updated'] }
  })
  t.equal(hook.statusCode, 201)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${hook.json().id}`, headers: ada.auth })).statusCode, 204)
  const completion = await app.inject({
    method: 'POST',
    url: '/api/v1/aisuite/chat',
    headers: ada.auth,
    payload: { model: 'offline', messages: [{ role: 'user', content: 'Hi' }] }
  })
  t.equal(completion.statusCode, 200)
})
