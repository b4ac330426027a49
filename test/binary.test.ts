import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import WebSocket from 'ws'
import { BINARY_NAME, buildBinary, missingBuildTools } from '../scripts/build-bin.js'
import { startServerProcess } from './process-helper.js'

/**
 * `npm run build:bin` end to end: the executable is built once, copied alone into an empty
 * folder and started there (no node_modules anywhere it could find), then used as a new user
 * would: sign up, create an assistant and a conversation, send a message, read the reply.
 */
const missing = missingBuildTools()
const skip = missing.length > 0 ? `the single executable cannot be built here; missing: ${missing.join('; ')}` : false

interface Frame {
  type: string
  message?: { id: string; role: string; status: string; content: string }
  delta?: string
  message_id?: string
}

t.test('the single executable serves from an empty folder', { skip }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'binary-'))
  t.teardown(() => rmSync(work, { recursive: true, force: true }))
  const { binary, bytes } = await buildBinary(join(work, 'build'), (line) => t.comment(line))
  t.ok(bytes > 50 * 1024 * 1024, `one file of ${Math.round(bytes / 1024 / 1024)} MiB`)

  const folder = join(work, 'empty')
  mkdirSync(folder)
  copyFileSync(binary, join(folder, BINARY_NAME))
  const env = {
    PATH: process.env.PATH,
    HOME: folder,
    XDG_CACHE_HOME: join(folder, 'cache'),
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: join(folder, 'data'),
    LOG_LEVEL: 'info',
    // Dispatch sessions run shells on node-pty, a native module carried inside too.
    TERMINAL_KEY: 'binary-test-terminal-key',
    WORKSPACES_ROOT: join(folder, 'workspaces'),
    DISPATCH_SHELL: '/bin/sh'
  }
  const start = () => startServerProcess(join(folder, BINARY_NAME), [], { cwd: folder, env })

  const server = start()
  t.teardown(() => server.child.kill('SIGKILL'))
  const base = await server.url
  t.notMatch(server.output(), /Warning/, 'it starts without warnings')
  t.same(readdirSync(join(folder, 'cache', 'assistant-backend')).length, 1, 'it unpacked its files into one cache folder')

  const json = { 'content-type': 'application/json' }
  const account = { email: 'first@example.com', password: 'correct horse battery' }
  t.equal((await fetch(`${base}/api/v1/auth/register`, { method: 'POST', headers: json, body: JSON.stringify(account) })).status, 201, 'signs up (argon2)')
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(account) })
  t.equal(login.status, 200)
  const token = ((await login.json()) as { access_token: string }).access_token
  const auth = { ...json, authorization: `Bearer ${token}` }

  const assistant = await fetch(`${base}/api/v1/assistants`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Binary helper' }) })
  t.equal(assistant.status, 201, 'creates an assistant')
  const { id: assistantId, model } = (await assistant.json()) as { id: string; model: string }
  t.equal(model, 'offline', 'answered by the offline model, with no keys set')
  const conversation = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers: auth, body: JSON.stringify({ assistant_id: assistantId }) })
  t.equal(conversation.status, 201, 'creates a conversation')
  const conversationId = ((await conversation.json()) as { id: string }).id

  // Follow the conversation over /ws, then send: the reply streams in.
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } })
  t.teardown(() => ws.close())
  const frames: Frame[] = []
  const completed = new Promise<Frame>((resolve) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame
      frames.push(frame)
      if (frame.type === 'ready') ws.send(JSON.stringify({ type: 'subscribe', conversation_id: conversationId }))
      if (frame.type === 'message.completed' && frame.message?.role === 'assistant') resolve(frame)
    })
  })
  await new Promise<void>((resolve) => {
    const check = () => (frames.some((f) => f.type === 'subscribed') ? resolve() : setTimeout(check, 20))
    check()
  })
  const sent = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ content: 'Hello from an empty folder' })
  })
  t.equal(sent.status, 201, 'sends a message')
  const reply = (await completed).message!
  t.equal(reply.status, 'completed')
  t.match(reply.content, 'You said: "Hello from an empty folder"', "reads the offline model's reply")
  const streamed = frames
    .filter((f) => f.type === 'message.delta' && f.message_id === reply.id)
    .map((f) => f.delta)
    .join('')
  t.equal(streamed, reply.content, 'streamed over /ws in message.delta frames')

  for (const path of ['/docs/static/swagger-ui-bundle.js', '/playground', '/playground/app.js', '/playground/api.js', '/playground/vendor/sdk.mjs']) {
    t.equal((await fetch(`${base}${path}`)).status, 200, `serves ${path} from the files it carries`)
  }

  const key = { authKey: env.TERMINAL_KEY }
  const workspace = join(env.WORKSPACES_ROOT, 'project')
  t.equal((await fetch(`${base}/api/workspaces`, { method: 'POST', headers: json, body: JSON.stringify({ path: workspace, name: 'P', ...key }) })).status, 201)
  const session = await fetch(`${base}/api/sessions`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ type: 'pty', workspacePath: workspace, ...key })
  })
  t.equal(session.status, 201, 'starts a shell on node-pty')
  t.match(await session.json(), { status: 'running', pid: Number })

  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'exits cleanly on SIGTERM')

  // A second start reuses what the first unpacked, and the data it wrote.
  const again = start()
  t.teardown(() => again.child.kill('SIGKILL'))
  const base2 = await again.url
  t.same(readdirSync(join(folder, 'cache', 'assistant-backend')).length, 1, 'the cache folder is reused')
  const relogin = await fetch(`${base2}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(account) })
  t.equal(relogin.status, 200, 'the account is still there')
  again.child.kill('SIGTERM')
  t.equal(await again.exited, 0)
})
