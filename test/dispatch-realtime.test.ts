import t from 'tap'
import { SYSTEM_OWNER_ID } from '../src/domain/system-owner.js'
import { connectDispatch, dispatchApp, KEY, processExists } from './dispatch-helper.js'

const AUTH = 'Authentication required. Provide valid authKey.'

t.test('the /dispatch namespace refuses a handshake without the terminal key', async (t) => {
  const { base } = await dispatchApp(t)
  for (const auth of [{}, { authKey: 'wrong' }, { authKey: '' }, { token: KEY }]) {
    const error = await connectDispatch(t, base, auth).then(
      () => undefined,
      (err: Error) => err
    )
    t.equal(error?.message, AUTH, JSON.stringify(auth))
  }
  const client = await connectDispatch(t, base, { authKey: KEY })
  t.ok(client.socket.connected)
})

t.test('without a configured TERMINAL_KEY the namespace refuses everyone', async (t) => {
  const { base } = await dispatchApp(t, { terminalKey: undefined })
  const error = await connectDispatch(t, base, { authKey: KEY }).then(
    () => undefined,
    (err: Error) => err
  )
  t.equal(error?.message, AUTH)
})

t.test('a real shell over Socket.IO: echo, resize, counts that follow, and a shell that is gone after stop', async (t) => {
  const { base, call, root } = await dispatchApp(t)
  const path = `${root}/echo`
  const client = await connectDispatch(t, base, { authKey: KEY })
  const watcher = await connectDispatch(t, base, { authKey: KEY })

  await call('POST', '/api/workspaces', { body: { path, name: 'Echo', authKey: KEY } })
  const created = await client.next('workspace.updated', (w) => w.id === path)
  t.same(created.sessionCounts, { total: 0, running: 0, stopped: 0, error: 0 }, 'a new workspace is announced with its counts')

  const made = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: path, cols: 100, rows: 30, authKey: KEY } })
  t.equal(made.status, 201)
  const session = made.body
  t.match(await client.next('session.created', (s) => s.id === session.id), { id: session.id, type: 'pty', status: 'starting', workspacePath: path })
  t.match(await client.next('session.updated', (s) => s.id === session.id && s.status === 'running'), { pid: session.pid })
  const running = await client.next('workspace.updated', (w) => w.id === path && w.sessionCounts.running === 1)
  t.match(running, { status: 'active', lastActive: /Z$/, sessionCounts: { total: 1, running: 1, stopped: 0, error: 0 } })
  t.ok(await watcher.next('session.created', (s) => s.id === session.id), 'every client hears of it')

  const attached = await client.emit('session.attach', { sessionId: session.id })
  t.match(attached, { ok: true, session: { id: session.id, status: 'running' } })
  // Type once the shell has shown its prompt: a shell may discard what was typed before it was ready.
  await client.output(session.id, /./)
  t.same(await client.emit('session.input', { sessionId: session.id, data: 'echo "dispatch-$((6*7))"\r' }), { ok: true })
  const output = await client.output(session.id, 'dispatch-42')
  t.match(output, /dispatch-42/, 'the shell ran the command and its output came back')
  t.notOk(
    watcher.events.some((e) => e.name === 'session.output'),
    'output goes only to the sockets attached to the session'
  )

  // A client that attaches later gets what the terminal showed so far.
  const late = await connectDispatch(t, base, { authKey: KEY })
  await late.emit('session.attach', { sessionId: session.id })
  await late.output(session.id, 'dispatch-42')

  const resized = await client.emit('session.resize', { sessionId: session.id, cols: 132, rows: 43 })
  t.match(resized, { ok: true, session: { cols: 132, rows: 43 } })
  await client.emit('session.input', { sessionId: session.id, data: 'stty size\r' })
  await client.output(session.id, '43 132')

  // The shell runs in the workspace folder.
  await client.emit('session.input', { sessionId: session.id, data: 'pwd\r' })
  await client.output(session.id, `\r\n${path}\r\n`)

  const stopped = await call('DELETE', `/api/sessions/${session.id}`, { key: true })
  t.equal(stopped.body.status, 'stopped')
  t.notOk(processExists(session.pid), 'the shell process is gone')
  t.match(await client.next('session.ended', (s) => s.id === session.id), { status: 'stopped', endedAt: /Z$/ })
  t.match(await client.next('workspace.updated', (w) => w.id === path && w.sessionCounts.stopped === 1), {
    sessionCounts: { total: 1, running: 0, stopped: 1, error: 0 }
  })
  const after = await client.emit('session.input', { sessionId: session.id, data: 'echo again\r' })
  t.same(after, { ok: false, message: `Session is not running: ${session.id}` })
})

t.test('a shell that exits on its own ends its session with its exit code', async (t) => {
  const { base, call, root } = await dispatchApp(t)
  const path = `${root}/exit`
  await call('POST', '/api/workspaces', { body: { path, name: 'Exit', authKey: KEY } })
  const client = await connectDispatch(t, base, { authKey: KEY })
  const session = (await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: path, authKey: KEY } })).body
  await client.emit('session.attach', { sessionId: session.id })
  await client.output(session.id, /./)
  // Without an acknowledgement too: what needs no answer is carried out all the same.
  client.socket.emit('session.input', { sessionId: session.id, data: 'exit 3\r' })
  t.match(await client.next('session.ended', (s) => s.id === session.id), { status: 'stopped', exitCode: 3 })
  t.notOk(processExists(session.pid))
  const got = await call('GET', `/api/sessions/${session.id}`, { key: true })
  t.match(got.body, { status: 'stopped', exitCode: 3 })
  const detail = await call('GET', `/api/workspaces/${encodeURIComponent(path)}`, { key: true })
  t.same(detail.body.activeSessions, [])
})

t.test('an assistant session: a typed line is a message, the reply is the output', async (t) => {
  const { base, call, root, app } = await dispatchApp(t)
  const path = `${root}/talk`
  await call('POST', '/api/workspaces', { body: { path, name: 'Talk', authKey: KEY } })
  const client = await connectDispatch(t, base, { authKey: KEY })
  const session = (await call('POST', '/api/sessions', { body: { type: 'claude', workspacePath: path, authKey: KEY } })).body
  await client.emit('session.attach', { sessionId: session.id })
  await client.output(session.id, '> ')
  await client.emit('session.input', { sessionId: session.id, data: 'hello thre' })
  await client.emit('session.input', { sessionId: session.id, data: '\u007f\u007fere\r' })
  // The offline model quotes the question in its answer.
  const output = await client.output(session.id, /"hello there"[\s\S]*\r\n> $/)
  t.ok(output.includes('hello thre\b \b\b \bere\r\n'), 'typing is echoed, backspace erases')
  const history = app.services.conversations.history({ userId: SYSTEM_OWNER_ID, role: 'user', via: 'api_key' }, session.conversationId, {})
  t.match(
    history.items.map((m) => [m.role, m.content]),
    [
      ['user', 'hello there'],
      ['assistant', /hello there/]
    ]
  )
})

t.test('bad messages are answered, never dropped or fatal', async (t) => {
  const { base } = await dispatchApp(t)
  const client = await connectDispatch(t, base, { authKey: KEY })
  t.same(await client.emit('session.attach', { sessionId: 'nope' }), { ok: false, message: 'Session not found: nope' })
  t.same(await client.emit('session.input', { sessionId: 'nope', data: 'x' }), { ok: false, message: 'Session not found: nope' })
  t.match(await client.emit('session.input', { sessionId: 'nope' }), { ok: false, message: /^Invalid message: \/data/ })
  t.match(await client.emit('session.resize', { sessionId: 'nope', cols: 0, rows: 10 }), { ok: false, message: /^Invalid message: \/cols/ })
  t.match(await client.emit('session.attach', 'nope'), { ok: false, message: /^Invalid message/ })
  // Without an acknowledgement the answer comes as `session.error`.
  client.socket.emit('session.input', { sessionId: 'nope', data: 'x' })
  t.same(await client.next('session.error'), { message: 'Session not found: nope' })
  t.ok(client.socket.connected, 'still connected')
})
