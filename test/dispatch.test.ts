import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SYSTEM_OWNER_ID } from '../src/domain/system-owner.js'
import { checkDispatchPath } from '../src/domain/workspace-paths.js'
import { isTerminalKey } from '../src/http/dispatch/auth.js'
import { dispatchApp, KEY, processExists } from './dispatch-helper.js'
import { signUp } from './helper.js'

const AUTH = 'Authentication required. Provide valid authKey.'

t.test('every call needs the terminal key: in the query, as a bearer token or in the body', async (t) => {
  const { call, root } = await dispatchApp(t)
  const refused = async (res: Promise<{ status: number; body: unknown }>, why: string) => {
    const r = await res
    t.equal(r.status, 401, why)
    t.same(r.body, { message: AUTH }, `${why}: the words`)
  }
  await refused(call('GET', '/api/workspaces'), 'no key')
  await refused(call('GET', '/api/workspaces?authKey=wrong'), 'a wrong key in the query')
  await refused(call('GET', '/api/workspaces', { headers: { authorization: 'Bearer wrong' } }), 'a wrong bearer key')
  await refused(call('GET', '/api/workspaces', { headers: { authorization: `Basic ${KEY}` } }), 'not a bearer header')
  await refused(call('GET', '/api/sessions'), 'sessions too')
  await refused(call('GET', '/api/sessions/nope'), 'an unknown session is not revealed')
  await refused(call('POST', '/api/workspaces', { body: { path: `${root}/a`, name: 'A', authKey: 'wrong' } }), 'a wrong key in the body')
  await refused(call('POST', '/api/workspaces', { body: { path: `${root}/a`, name: 'A' } }), 'a body without a key')
  await refused(call('POST', '/api/workspaces', { body: { path: 'relative', authKey: 'wrong' } }), 'authentication comes before validation')
  await refused(call('POST', '/api/workspaces', { body: { nonsense: true } }), 'an invalid body without a key says nothing of the schema')
  await refused(call('DELETE', `/api/workspaces/x`, { body: { authKey: KEY } }), 'the body counts only on POST and PUT')
  await refused(call('GET', `/api/workspaces?authKey=${KEY}&authKey=${KEY}`), 'a doubled key is refused')

  t.equal((await call('GET', `/api/workspaces?authKey=${KEY}`)).status, 200, 'query')
  t.equal((await call('GET', '/api/workspaces', { headers: { authorization: `Bearer ${KEY}` } })).status, 200, 'bearer')
  t.equal((await call('POST', '/api/workspaces', { body: { path: `${root}/a`, name: 'A', authKey: KEY } })).status, 201, 'body')
  t.equal((await call('PUT', `/api/workspaces/${encodeURIComponent(`${root}/a`)}`, { body: { name: 'B', authKey: KEY } })).status, 200, 'body on PUT')
  // An unknown path under the surface answers in its body.
  const unknown = await call('GET', '/api/sessions/x/y', { key: true })
  t.equal(unknown.status, 404)
  t.same(unknown.body, { message: 'Route GET /api/sessions/x/y not found' })
})

t.test('without a configured TERMINAL_KEY the surface refuses everything', async (t) => {
  const { call, root } = await dispatchApp(t, { terminalKey: undefined })
  for (const r of [
    await call('GET', `/api/workspaces?authKey=${KEY}`),
    await call('GET', '/api/workspaces?authKey='),
    await call('GET', '/api/workspaces', { headers: { authorization: 'Bearer undefined' } }),
    await call('POST', '/api/workspaces', { body: { path: `${root}/a`, name: 'A', authKey: '' } }),
    await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: `${root}/a`, authKey: KEY } })
  ]) {
    t.equal(r.status, 401)
    t.same(r.body, { message: AUTH })
  }
  t.notOk(isTerminalKey('', undefined))
  t.notOk(isTerminalKey('', ''))
  t.ok(isTerminalKey('a key', 'a key'))
  t.notOk(isTerminalKey('a ke', 'a key'))
})

t.test('creating a workspace: the documented body, and every refusal in its words', async (t) => {
  const { call, root, app } = await dispatchApp(t)
  const path = `${root}/new-project`
  const made = await call('POST', '/api/workspaces', { body: { path, name: 'New Project', authKey: KEY } })
  t.equal(made.status, 201)
  t.match(made.body, {
    id: path,
    name: 'New Project',
    path,
    status: 'new',
    createdAt: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    lastActive: null,
    sessionCounts: { total: 0, running: 0, stopped: 0, error: 0 }
  })
  t.equal(made.body.updatedAt, made.body.createdAt)
  t.same(Object.keys(made.body).sort(), ['createdAt', 'id', 'lastActive', 'name', 'path', 'sessionCounts', 'status', 'updatedAt'])
  t.notOk(existsSync(path), 'the folder is made when a session runs, not before')

  const again = await call('POST', '/api/workspaces', { body: { path, name: 'Again', authKey: KEY } })
  t.equal(again.status, 409)
  t.same(again.body, { message: `Workspace already exists: ${path}` })

  const invalid = async (p: string, message: string) => {
    const r = await call('POST', '/api/workspaces', { body: { path: p, name: 'X', authKey: KEY } })
    t.equal(r.status, 400, p)
    t.same(r.body, { message }, p)
  }
  await invalid('workspace/my-app', 'Invalid workspace path: must be absolute path')
  await invalid('', 'Invalid workspace path: must be absolute path')
  await invalid(`${root}/../etc`, 'Invalid workspace path: path traversal is not allowed')
  await invalid(`${root}/a/../../etc`, 'Invalid workspace path: path traversal is not allowed')
  await invalid(`${root}/./a`, 'Invalid workspace path: must be normalized')
  await invalid(`${root}//a`, 'Invalid workspace path: must be normalized')
  await invalid(`${root}/a/`, 'Invalid workspace path: must be normalized')
  await invalid(root, `Invalid workspace path: must be within the workspace root ${root}`)
  await invalid(`${root}-evil/a`, `Invalid workspace path: must be within the workspace root ${root}`)
  await invalid('/etc/passwd', `Invalid workspace path: must be within the workspace root ${root}`)
  await invalid(`${root}/a\u0000b`, 'Invalid workspace path: must not contain control characters or backslashes')

  // A symbolic link inside the root that points out of it is no way out.
  const outside = mkdtempSync(join(tmpdir(), 'dispatch-outside-'))
  t.teardown(() => rmSync(outside, { recursive: true, force: true }))
  symlinkSync(outside, join(root, 'escape'))
  await invalid(`${root}/escape`, `Invalid workspace path: must be within the workspace root ${root}`)
  await invalid(`${root}/escape/deeper/still`, `Invalid workspace path: must be within the workspace root ${root}`)
  // A link that stays inside is fine.
  mkdirSync(join(root, 'real'))
  symlinkSync(join(root, 'real'), join(root, 'alias'))
  t.equal((await call('POST', '/api/workspaces', { body: { path: `${root}/alias/x`, name: 'Alias', authKey: KEY } })).status, 201)

  const field = async (body: Record<string, unknown>, pattern: RegExp) => {
    const r = await call('POST', '/api/workspaces', { body: { ...body, authKey: KEY } })
    t.equal(r.status, 400, JSON.stringify(body))
    t.match(r.body.message, pattern)
    t.same(Object.keys(r.body), ['message'])
  }
  await field({ path: `${root}/b` }, /name/)
  await field({ name: 'B' }, /path/)
  await field({ path: `${root}/b`, name: '' }, /name/)
  await field({ path: `${root}/b`, name: 'x'.repeat(101) }, /name/)
  await field({ path: `${root}/b`, name: '   ' }, /name must be 1 to 100 characters/)
  await field({ path: `${root}/b`, name: 'B', owner: 'me' }, /owner/)
  const malformed = await call('POST', `/api/workspaces?authKey=${KEY}`, { body: '{"path":' })
  t.equal(malformed.status, 400)
  t.same(malformed.body, { message: 'The request body is not valid JSON' })
  t.equal((await call('POST', '/api/workspaces', { body: { path: `${root}/b`, name: 'x'.repeat(100), authKey: KEY } })).status, 201, '100 characters')

  // The owner is the system account, which is nobody's login: the first person is still the admin.
  const ada = await signUp(app)
  const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: ada.auth })
  t.equal(me.json().role, 'admin')
  t.equal(app.services.dispatch.getWorkspace(path).path, path)
  const v1List = await app.inject({ method: 'GET', url: '/api/v1/workspaces', headers: ada.auth })
  t.equal(v1List.json().total, 0, 'dispatch workspaces belong to the system owner, not to a person')
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'dispatch@system.invalid', password: 'anything at all' } })
  t.equal(login.statusCode, 401, 'nobody signs in as the system owner')
})

t.test('listing: pages by limit and offset, filters by status, counts sessions; the same workspaces as v1', async (t) => {
  const { call, root, app, workspaceUrl } = await dispatchApp(t)
  for (const name of ['c', 'a', 'b', 'd']) {
    t.equal((await call('POST', '/api/workspaces', { body: { path: `${root}/${name}`, name: name.toUpperCase(), authKey: KEY } })).status, 201)
  }
  const all = await call('GET', '/api/workspaces', { key: true })
  t.equal(all.status, 200)
  t.same(
    all.body.workspaces.map((w: { path: string }) => w.path),
    ['a', 'b', 'c', 'd'].map((n) => `${root}/${n}`),
    'by path'
  )
  t.same(all.body.pagination, { total: 4, limit: 50, offset: 0, hasMore: false })

  const page = await call('GET', '/api/workspaces?limit=2&offset=1', { key: true })
  t.same(
    page.body.workspaces.map((w: { name: string }) => w.name),
    ['B', 'C']
  )
  t.same(page.body.pagination, { total: 4, limit: 2, offset: 1, hasMore: true })
  const last = await call('GET', '/api/workspaces?limit=2&offset=2', { key: true })
  t.same(last.body.pagination, { total: 4, limit: 2, offset: 2, hasMore: false })
  const past = await call('GET', '/api/workspaces?limit=2&offset=10', { key: true })
  t.same(past.body, { workspaces: [], pagination: { total: 4, limit: 2, offset: 10, hasMore: false } })

  t.equal((await call('PUT', workspaceUrl(`${root}/c`), { body: { status: 'archived', authKey: KEY } })).status, 200)
  const archived = await call('GET', '/api/workspaces?status=archived', { key: true })
  t.same(
    archived.body.workspaces.map((w: { path: string }) => w.path),
    [`${root}/c`]
  )
  t.equal(archived.body.pagination.total, 1)
  t.equal((await call('GET', '/api/workspaces?status=new', { key: true })).body.pagination.total, 3)

  for (const q of ['limit=0', 'limit=501', 'offset=-1', 'status=deleted', 'limit=x', 'colour=red']) {
    const bad = await call('GET', `/api/workspaces?${q}`, { key: true })
    t.equal(bad.status, 400, q)
    t.match(bad.body.message, /^Validation failed/, q)
  }

  // A workspace made in v1 with a path under the root is a dispatch workspace; one elsewhere is not.
  const ada = await signUp(app)
  const inside = await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: ada.auth, payload: { name: 'From v1', path: `${root}/e` } })
  t.equal(inside.statusCode, 201)
  await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: ada.auth, payload: { name: 'Elsewhere', path: `${root}-evil/f` } })
  await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: ada.auth, payload: { name: 'No path' } })
  const listed = await call('GET', '/api/workspaces', { key: true })
  t.equal(listed.body.pagination.total, 5)
  t.match(listed.body.workspaces[4], { id: `${root}/e`, name: 'From v1', status: 'new' })
  // Renaming in dispatch is renaming in v1: one row.
  t.equal((await call('PUT', workspaceUrl(`${root}/e`), { body: { name: 'Renamed', authKey: KEY } })).status, 200)
  const v1 = await app.inject({ method: 'GET', url: `/api/v1/workspaces/${inside.json().id}`, headers: ada.auth })
  t.equal(v1.json().name, 'Renamed')
  t.equal((await call('GET', workspaceUrl(`${root}-evil/f`), { key: true })).status, 404, 'outside the root is not a dispatch workspace')

  // v1 cannot delete it from under a running session either.
  const session = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: `${root}/e`, authKey: KEY } })
  const refused = await app.inject({ method: 'DELETE', url: `/api/v1/workspaces/${inside.json().id}`, headers: ada.auth })
  t.equal(refused.statusCode, 409)
  t.match(refused.json(), { error_code: 'WORKSPACE_HAS_RUNNING_SESSIONS', detail: 'Cannot delete workspace with 1 active sessions' })
  await call('DELETE', `/api/sessions/${session.body.id}`, { key: true })
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/workspaces/${inside.json().id}`, headers: ada.auth })).statusCode, 204)
  t.equal((await call('GET', workspaceUrl(`${root}/e`), { key: true })).status, 404)
})

t.test('get, update and delete a workspace by its URL-encoded path; sessions count in all of them', async (t) => {
  const { call, root, workspaceUrl, app } = await dispatchApp(t)
  const path = `${root}/my-project`
  await call('POST', '/api/workspaces', { body: { path, name: 'My Project', authKey: KEY } })

  const missing = await call('GET', workspaceUrl(`${root}/missing`), { key: true })
  t.equal(missing.status, 404)
  t.same(missing.body, { message: `Workspace not found: ${root}/missing` })
  for (const [method, body] of [
    ['PUT', { name: 'X', authKey: KEY }],
    ['DELETE', undefined]
  ] as const) {
    const r = await call(method, workspaceUrl(`${root}/missing`), { body, key: body === undefined })
    t.equal(r.status, 404, method)
    t.same(r.body, { message: `Workspace not found: ${root}/missing` })
  }

  const fresh = await call('GET', workspaceUrl(path), { key: true })
  t.equal(fresh.status, 200)
  t.same(fresh.body.sessionCounts, { running: 0, stopped: 0, starting: 0, error: 0 })
  t.same(fresh.body.sessionStats, { total: 0, byStatus: {}, byType: {} })
  t.same(fresh.body.activeSessions, [])

  // Three sessions: two shells (one stopped) and an assistant.
  const start = async (type: string) => {
    const r = await call('POST', '/api/sessions', { body: { type, workspacePath: path, authKey: KEY } })
    t.equal(r.status, 201, `a ${type} session`)
    return r.body
  }
  const a = await start('pty')
  const b = await start('pty')
  const c = await start('claude')
  const stopped = await call('DELETE', `/api/sessions/${b.id}`, { key: true })
  t.equal(stopped.body.status, 'stopped')

  const detail = await call('GET', workspaceUrl(path), { key: true })
  t.match(detail.body, { id: path, name: 'My Project', path, status: 'active', lastActive: /Z$/ })
  t.same(detail.body.sessionCounts, { running: 2, stopped: 1, starting: 0, error: 0 })
  t.same(detail.body.sessionStats, { total: 3, byStatus: { running: 2, stopped: 1 }, byType: { pty: 2, claude: 1 } })
  t.same(
    detail.body.activeSessions.map((s: { id: string }) => s.id),
    [a.id, c.id]
  )
  t.same(detail.body.activeSessions[0], {
    id: a.id,
    type: 'pty',
    status: 'running',
    createdAt: a.createdAt,
    lastActivity: detail.body.activeSessions[0].lastActivity
  })
  const listed = (await call('GET', '/api/workspaces', { key: true })).body.workspaces[0]
  t.same(listed.sessionCounts, { total: 3, running: 2, stopped: 1, error: 0 })
  t.equal(listed.lastActive, detail.body.lastActive)

  const updated = await call('PUT', workspaceUrl(path), { body: { name: 'Updated Project Name', status: 'archived', authKey: KEY } })
  t.equal(updated.status, 200)
  t.same(Object.keys(updated.body).sort(), ['id', 'name', 'status', 'updatedAt'])
  t.match(updated.body, { id: path, name: 'Updated Project Name', status: 'archived' })
  t.ok(updated.body.updatedAt > fresh.body.updatedAt)
  const unchanged = await call('PUT', workspaceUrl(path), { body: { authKey: KEY } })
  t.same(unchanged.body, updated.body, 'an empty change changes nothing')
  for (const body of [{ status: 'deleted' }, { name: '' }, { path: '/elsewhere' }]) {
    const r = await call('PUT', workspaceUrl(path), { body: { ...body, authKey: KEY } })
    t.equal(r.status, 400, JSON.stringify(body))
    t.match(r.body.message, /^Validation failed/)
  }

  const refused = await call('DELETE', workspaceUrl(path), { key: true })
  t.equal(refused.status, 422)
  t.same(refused.body, { message: 'Cannot delete workspace with 2 active sessions' })
  await call('POST', `/api/sessions/${a.id}/stop`, { key: true })
  const stillOne = await call('DELETE', workspaceUrl(path), { key: true })
  t.same(stillOne.body, { message: 'Cannot delete workspace with 1 active sessions' })
  await call('POST', `/api/sessions/${c.id}/stop`, { body: { authKey: KEY } })

  const deleted = await call('DELETE', workspaceUrl(path), { key: true })
  t.equal(deleted.status, 200)
  t.same(deleted.body, { message: 'Workspace deleted successfully', deletedSessions: 3 })
  t.equal((await call('GET', workspaceUrl(path), { key: true })).status, 404)
  t.equal((await call('GET', `/api/sessions/${a.id}`, { key: true })).status, 404, 'its sessions went with it')
  t.throws(
    () => app.services.conversations.get({ userId: SYSTEM_OWNER_ID, role: 'user', via: 'api_key' }, c.conversationId),
    /not found/i,
    "the assistant session's conversation went with it"
  )
})

t.test('sessions: create, list, get and stop; a real shell that is gone when stopped', async (t) => {
  const { call, root, app } = await dispatchApp(t)
  const path = `${root}/proj`
  const other = `${root}/other`
  await call('POST', '/api/workspaces', { body: { path, name: 'Proj', authKey: KEY } })
  await call('POST', '/api/workspaces', { body: { path: other, name: 'Other', authKey: KEY } })

  const made = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: path, cols: 120, rows: 40, authKey: KEY } })
  t.equal(made.status, 201)
  const session = made.body
  t.match(session, { type: 'pty', status: 'running', workspacePath: path, cols: 120, rows: 40, conversationId: null, exitCode: null, endedAt: null })
  t.type(session.pid, 'number')
  t.ok(processExists(session.pid), 'the shell runs')
  t.ok(existsSync(path), 'in its folder, made for it')

  const second = await call('POST', '/api/sessions', { headers: { authorization: `Bearer ${KEY}` }, body: { type: 'pty', workspacePath: other } })
  t.match(second.body, { cols: 80, rows: 24, workspacePath: other }, 'the default size')
  const assistant = await call('POST', '/api/sessions', { body: { type: 'claude', workspacePath: path, authKey: KEY } })
  t.match(assistant.body, { type: 'claude', status: 'running', pid: null, conversationId: /^[0-9a-f-]{36}$/ })
  // A claude session is a conversation in that workspace, with the dispatch assistant.
  const conversation = app.services.conversations.get({ userId: SYSTEM_OWNER_ID, role: 'user', via: 'api_key' }, assistant.body.conversationId)
  t.ok(conversation.assistant_id, 'with an assistant')
  t.ok(conversation.workspace_id, 'in the workspace')

  const got = await call('GET', `/api/sessions/${session.id}`, { key: true })
  t.same(got.body, session)
  const missing = await call('GET', '/api/sessions/no-such-session', { key: true })
  t.equal(missing.status, 404)
  t.same(missing.body, { message: 'Session not found: no-such-session' })

  const list = await call('GET', '/api/sessions', { key: true })
  t.same(
    list.body.sessions.map((s: { id: string }) => s.id),
    [assistant.body.id, second.body.id, session.id],
    'newest first'
  )
  t.same(list.body.pagination, { total: 3, limit: 50, offset: 0, hasMore: false })
  const ofPath = await call('GET', `/api/sessions?workspacePath=${encodeURIComponent(path)}`, { key: true })
  t.same(
    ofPath.body.sessions.map((s: { id: string }) => s.id),
    [assistant.body.id, session.id]
  )
  const paged = await call('GET', '/api/sessions?limit=1&offset=1', { key: true })
  t.same(paged.body.pagination, { total: 3, limit: 1, offset: 1, hasMore: true })
  t.equal(paged.body.sessions[0].id, second.body.id)
  const ofType = await call('GET', '/api/sessions?type=claude', { key: true })
  t.equal(ofType.body.pagination.total, 1)
  const unknownWorkspace = await call('GET', `/api/sessions?workspacePath=${encodeURIComponent(`${root}/nope`)}`, { key: true })
  t.equal(unknownWorkspace.status, 404)
  t.same(unknownWorkspace.body, { message: `Workspace not found: ${root}/nope` })

  const stopped = await call('DELETE', `/api/sessions/${session.id}`, { key: true })
  t.equal(stopped.status, 200)
  t.match(stopped.body, { id: session.id, status: 'stopped', endedAt: /Z$/ })
  t.notOk(processExists(session.pid), 'the shell is gone once the stop answers')
  const again = await call('POST', `/api/sessions/${session.id}/stop`, { key: true })
  t.equal(again.status, 200, 'stopping a stopped session is fine')
  t.same(again.body, stopped.body, 'and changes nothing')
  const viaPost = await call('POST', `/api/sessions/${second.body.id}/stop`, { headers: { authorization: `Bearer ${KEY}` } })
  t.equal(viaPost.body.status, 'stopped')
  t.notOk(processExists(second.body.pid))
  t.equal((await call('DELETE', '/api/sessions/nope', { key: true })).status, 404)
  t.same((await call('POST', '/api/sessions/nope/stop', { key: true })).body, { message: 'Session not found: nope' })

  const running = await call('GET', '/api/sessions?status=running', { key: true })
  t.same(
    running.body.sessions.map((s: { id: string }) => s.id),
    [assistant.body.id]
  )
  const ended = await call('GET', `/api/sessions?status=stopped&workspacePath=${encodeURIComponent(path)}`, { key: true })
  t.same(
    ended.body.sessions.map((s: { id: string }) => s.id),
    [session.id]
  )
})

t.test('session refusals: unknown workspace, bad input, and the cap on active sessions', async (t) => {
  const { call, root } = await dispatchApp(t, { dispatchMaxSessions: 2 })
  const path = `${root}/p`
  await call('POST', '/api/workspaces', { body: { path, name: 'P', authKey: KEY } })

  const noWorkspace = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: `${root}/none`, authKey: KEY } })
  t.equal(noWorkspace.status, 404)
  t.same(noWorkspace.body, { message: `Workspace not found: ${root}/none` })
  const relative = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: 'p', authKey: KEY } })
  t.equal(relative.status, 400)
  t.same(relative.body, { message: 'Invalid workspace path: must be absolute path' })
  const outside = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: `${root}/../x`, authKey: KEY } })
  t.same(outside.body, { message: 'Invalid workspace path: path traversal is not allowed' })
  for (const body of [
    { type: 'bash', workspacePath: path },
    { workspacePath: path },
    { type: 'pty' },
    { type: 'pty', workspacePath: path, cols: 0 },
    { type: 'pty', workspacePath: path, rows: 1001 },
    { type: 'pty', workspacePath: path, shell: '/bin/zsh' }
  ]) {
    const r = await call('POST', '/api/sessions', { body: { ...body, authKey: KEY } })
    t.equal(r.status, 400, JSON.stringify(body))
    t.match(r.body.message, /^Validation failed/)
  }

  const one = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: path, authKey: KEY } })
  const two = await call('POST', '/api/sessions', { body: { type: 'claude', workspacePath: path, authKey: KEY } })
  t.equal(one.status, 201)
  t.equal(two.status, 201)
  const three = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: path, authKey: KEY } })
  t.equal(three.status, 409)
  t.same(three.body, { message: 'Too many active sessions: at most 2 may run at once' })
  await call('DELETE', `/api/sessions/${one.body.id}`, { key: true })
  t.equal((await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: path, authKey: KEY } })).status, 201, 'room again once one stops')
})

t.test('a session that cannot start ends in error and says why', async (t) => {
  const { call, root } = await dispatchApp(t, { dispatchShell: '/no/such/shell' })
  const path = `${root}/p`
  await call('POST', '/api/workspaces', { body: { path, name: 'P', authKey: KEY } })
  const r = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: path, authKey: KEY } })
  t.equal(r.status, 502)
  t.match(r.body, { message: /^Session could not start: / })
  const list = await call('GET', '/api/sessions', { key: true })
  t.match(list.body.sessions, [{ status: 'error', error: /./, endedAt: /Z$/ }])
  const detail = await call('GET', `/api/workspaces/${encodeURIComponent(path)}`, { key: true })
  t.same(detail.body.sessionCounts, { running: 0, stopped: 0, starting: 0, error: 1 })
})

t.test('the server ends its sessions when it closes', async (t) => {
  const { call, root, app } = await dispatchApp(t)
  const path = `${root}/p`
  await call('POST', '/api/workspaces', { body: { path, name: 'P', authKey: KEY } })
  const pids: number[] = []
  for (let i = 0; i < 2; i++) {
    const r = await call('POST', '/api/sessions', { body: { type: 'pty', workspacePath: path, authKey: KEY } })
    pids.push(r.body.pid)
  }
  t.ok(pids.every(processExists))
  const ended: string[] = []
  app.services.events.subscribe((e) => {
    if (e.type === 'dispatch_session.ended') ended.push(e.session.status)
  })
  await app.close()
  t.notOk(pids.some(processExists), 'no shell outlives the server')
  t.same(ended, ['stopped', 'stopped'], 'and each was recorded as stopped')
})

t.test('the path rules on their own', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'dispatch-rules-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  t.equal(checkDispatchPath(`${root}/a/b`, root), `${root}/a/b`, 'need not exist')
  t.throws(() => checkDispatchPath(`${root}evil/a`, root), /within the workspace root/)
  // A root that does not exist yet: nothing under it exists, so nothing under it escapes.
  t.equal(checkDispatchPath(`${root}/missing/a`, `${root}/missing`), `${root}/missing/a`)
  t.equal(checkDispatchPath('/workspace/a', '/'), '/workspace/a', 'the root may be /')
  // A link in the root to the filesystem's root escapes.
  symlinkSync('/', join(root, 'slash'))
  t.throws(() => checkDispatchPath(`${root}/slash/etc`, root), /within the workspace root/)
})
