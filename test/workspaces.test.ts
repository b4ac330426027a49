import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { assistants, workspaces } from '../src/db/schema.js'
import { newId, nowIso } from '../src/domain/clock.js'
import type { DomainEvent } from '../src/domain/events.js'
import { type Account, at, build, signUp, v1Error } from './helper.js'

const W = '/api/v1/workspaces'

async function create(app: FastifyInstance, acct: Account, payload: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: W, headers: acct.auth, payload })
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

function insertAssistant(app: FastifyInstance, name = 'Helper'): string {
  const id = newId()
  const now = nowIso()
  app.database.db
    .insert(assistants)
    .values({ id, name, description: `${name} does things`, visibility: 'public', createdAt: now, updatedAt: now })
    .run()
  return id
}

async function addMember(app: FastifyInstance, owner: Account, workspaceId: string, who: Account, role: string) {
  const res = await app.inject({ method: 'POST', url: `${W}/${workspaceId}/members`, headers: owner.auth, payload: { user_id: who.id, role } })
  if (res.statusCode !== 201) throw new Error(`add member failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

t.test('create, get, update and delete a workspace', async (t) => {
  const app = await build(t)
  const owner = await signUp(app)
  const events: DomainEvent[] = []
  app.services.events.subscribe((e) => events.push(e))

  const res = await app.inject({ method: 'POST', url: W, headers: owner.auth, payload: { name: '  My Project ', path: '/workspace/my-project' } })
  t.equal(res.statusCode, 201)
  const ws = res.json()
  t.match(ws, {
    name: 'My Project',
    path: '/workspace/my-project',
    status: 'new',
    owner_id: owner.id,
    role: 'owner',
    agents: [],
    member_count: 1,
    last_activity_at: null
  })
  t.match(ws.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'a UUIDv7')
  t.equal(ws.created_at, ws.updated_at)
  t.match(events.at(-1), { type: 'workspace.created', actorId: owner.id, audience: [owner.id], workspace: { id: ws.id } })

  const noPath = await create(app, owner, { name: 'Scratch' })
  t.equal(noPath.path, null, 'path is optional')

  const got = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: owner.auth })
  t.equal(got.statusCode, 200)
  t.same(got.json(), ws)

  const upd = await app.inject({
    method: 'PUT',
    url: `${W}/${ws.id}`,
    headers: owner.auth,
    payload: { name: 'Renamed', status: 'archived', path: '/workspace/renamed' }
  })
  t.equal(upd.statusCode, 200)
  t.match(upd.json(), { id: ws.id, name: 'Renamed', status: 'archived', path: '/workspace/renamed', role: 'owner' })
  t.ok(upd.json().updated_at >= ws.updated_at)
  t.match(events.at(-1), { type: 'workspace.updated', workspace: { name: 'Renamed' } })

  const cleared = await app.inject({ method: 'PUT', url: `${W}/${ws.id}`, headers: owner.auth, payload: { path: null } })
  t.equal(cleared.json().path, null, 'null clears the path')
  const same = await app.inject({ method: 'PUT', url: `${W}/${ws.id}`, headers: owner.auth, payload: {} })
  t.equal(same.statusCode, 200)
  t.equal(same.json().updated_at, cleared.json().updated_at, 'an empty update changes nothing')

  const del = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}`, headers: owner.auth })
  t.equal(del.statusCode, 204)
  t.match(events.at(-1), { type: 'workspace.deleted', workspaceId: ws.id, audience: [owner.id] })
  const gone = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: owner.auth })
  t.equal(gone.statusCode, 404)
  t.equal(v1Error(gone).error_code, 'WORKSPACE_NOT_FOUND')
  const again = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}`, headers: owner.auth })
  t.equal(again.statusCode, 404)
})

t.test('strangers get 404 for everything, never the data; global admins too', async (t) => {
  const app = await build(t)
  const admin = await signUp(app) // the first account is a global admin
  const owner = await signUp(app)
  const stranger = await signUp(app)
  const ws = await create(app, owner, { name: 'Private', path: '/srv/private' })
  const assistantId = insertAssistant(app)

  for (const who of [stranger, admin]) {
    const attempts = [
      { method: 'GET' as const, url: `${W}/${ws.id}` },
      { method: 'PUT' as const, url: `${W}/${ws.id}`, payload: { name: 'mine' } },
      { method: 'DELETE' as const, url: `${W}/${ws.id}` },
      { method: 'GET' as const, url: `${W}/${ws.id}/members` },
      { method: 'POST' as const, url: `${W}/${ws.id}/members`, payload: { user_id: who.id, role: 'admin' } },
      { method: 'PUT' as const, url: `${W}/${ws.id}/members/${owner.id}`, payload: { role: 'viewer' } },
      { method: 'DELETE' as const, url: `${W}/${ws.id}/members/${owner.id}` },
      { method: 'GET' as const, url: `${W}/${ws.id}/agents` },
      { method: 'POST' as const, url: `${W}/${ws.id}/agents`, payload: { assistant_id: assistantId } },
      { method: 'DELETE' as const, url: `${W}/${ws.id}/agents/${assistantId}` }
    ]
    for (const a of attempts) {
      const res = await app.inject({ ...a, headers: who.auth })
      t.equal(res.statusCode, 404, `${a.method} ${a.url.replace(ws.id, ':id')}`)
      t.equal(v1Error(res).error_code, 'WORKSPACE_NOT_FOUND')
      t.notOk(res.body.includes('Private') || res.body.includes('/srv/private'), 'nothing of the workspace leaks')
    }
    const list = await app.inject({ method: 'GET', url: W, headers: who.auth })
    t.equal(list.json().total, 0, 'lists only own workspaces')
  }

  const unknown = await app.inject({ method: 'GET', url: `${W}/${newId()}`, headers: owner.auth })
  t.equal(unknown.statusCode, 404)
  t.equal(v1Error(unknown).error_code, 'WORKSPACE_NOT_FOUND')

  const anon = await app.inject({ method: 'GET', url: W })
  t.equal(anon.statusCode, 401)
  const anonGet = await app.inject({ method: 'GET', url: `${W}/${ws.id}` })
  t.equal(anonGet.statusCode, 401)

  const after = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: owner.auth })
  t.match(after.json(), { name: 'Private', member_count: 1, agents: [] }, 'nothing changed')
})

t.test('roles: viewers and members read; owner and admins manage; only the owner deletes', async (t) => {
  const app = await build(t)
  const owner = await signUp(app)
  const admin = await signUp(app)
  const member = await signUp(app)
  const viewer = await signUp(app)
  const ws = await create(app, owner, { name: 'Team' })
  await addMember(app, owner, ws.id, admin, 'admin')
  await addMember(app, owner, ws.id, member, 'member')
  await addMember(app, owner, ws.id, viewer, 'viewer')

  for (const [who, role] of [
    [admin, 'admin'],
    [member, 'member'],
    [viewer, 'viewer']
  ] as const) {
    const got = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: who.auth })
    t.equal(got.statusCode, 200)
    t.match(got.json(), { role, member_count: 4, owner_id: owner.id })
    const list = await app.inject({ method: 'GET', url: W, headers: who.auth })
    t.match(list.json(), { total: 1, items: [{ id: ws.id, role }] }, `${role} sees it in their list`)
    const members = await app.inject({ method: 'GET', url: `${W}/${ws.id}/members`, headers: who.auth })
    t.equal(members.statusCode, 200)
    t.equal(members.json().total, 4)
    const agents = await app.inject({ method: 'GET', url: `${W}/${ws.id}/agents`, headers: who.auth })
    t.equal(agents.statusCode, 200)
  }

  const assistantId = insertAssistant(app)
  const other = await signUp(app)
  for (const who of [member, viewer]) {
    const attempts = [
      { method: 'PUT' as const, url: `${W}/${ws.id}`, payload: { name: 'Hijacked' } },
      { method: 'POST' as const, url: `${W}/${ws.id}/members`, payload: { user_id: other.id, role: 'member' } },
      { method: 'PUT' as const, url: `${W}/${ws.id}/members/${admin.id}`, payload: { role: 'viewer' } },
      { method: 'DELETE' as const, url: `${W}/${ws.id}/members/${admin.id}` },
      { method: 'POST' as const, url: `${W}/${ws.id}/agents`, payload: { assistant_id: assistantId } },
      { method: 'DELETE' as const, url: `${W}/${ws.id}/agents/${assistantId}` }
    ]
    for (const a of attempts) {
      const res = await app.inject({ ...a, headers: who.auth })
      t.equal(res.statusCode, 403, `${a.method} ${a.url.replace(ws.id, ':id')} by a non-manager`)
      t.equal(v1Error(res).error_code, 'WORKSPACE_ADMIN_REQUIRED')
    }
  }

  for (const who of [admin, member, viewer]) {
    const res = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}`, headers: who.auth })
    t.equal(res.statusCode, 403, 'only the owner deletes')
    t.equal(v1Error(res).error_code, 'NOT_WORKSPACE_OWNER')
  }

  const renamed = await app.inject({ method: 'PUT', url: `${W}/${ws.id}`, headers: admin.auth, payload: { name: 'By admin', status: 'active' } })
  t.equal(renamed.statusCode, 200, 'an admin updates')
  t.match(renamed.json(), { name: 'By admin', status: 'active', role: 'admin', owner_id: owner.id })

  const added = await app.inject({
    method: 'POST',
    url: `${W}/${ws.id}/members`,
    headers: admin.auth,
    payload: { email: other.email.toUpperCase(), role: 'viewer' }
  })
  t.equal(added.statusCode, 201, 'an admin adds members, by email regardless of case')
  t.match(added.json(), { user_id: other.id, email: other.email, role: 'viewer', full_name: null })

  const attached = await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: admin.auth, payload: { assistant_id: assistantId } })
  t.equal(attached.statusCode, 201, 'an admin attaches agents')

  const deleted = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}`, headers: owner.auth })
  t.equal(deleted.statusCode, 204)
  const seen = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: member.auth })
  t.equal(seen.statusCode, 404, 'gone for members too')
  const left = app.services.workspaces.membership(ws.id, member.id)
  t.equal(left, undefined, 'memberships cascade')
  const assistantStill = await app.database.db.select().from(assistants).all()
  t.equal(assistantStill.length, 1, 'deleting a workspace keeps its assistants')
})

t.test('members: add, change role, remove, leave; the owner is locked', async (t) => {
  const app = await build(t)
  const owner = await signUp(app)
  const alice = await signUp(app)
  const bob = await signUp(app)
  const ws = await create(app, owner, { name: 'Team' })
  const events: DomainEvent[] = []
  app.services.events.subscribe((e) => events.push(e))

  const added = await addMember(app, owner, ws.id, alice, 'member')
  t.match(added, { user_id: alice.id, email: alice.email, role: 'member' })
  t.match(events.at(-1), { type: 'workspace.member_changed', workspaceId: ws.id, userId: alice.id, role: 'member' })
  t.same(new Set((events.at(-1) as { audience: string[] }).audience), new Set([owner.id, alice.id]))

  const dup = await app.inject({ method: 'POST', url: `${W}/${ws.id}/members`, headers: owner.auth, payload: { email: alice.email, role: 'admin' } })
  t.equal(dup.statusCode, 409)
  t.equal(v1Error(dup).error_code, 'WORKSPACE_MEMBER_EXISTS')

  const nobody = await app.inject({
    method: 'POST',
    url: `${W}/${ws.id}/members`,
    headers: owner.auth,
    payload: { email: 'nobody@example.com', role: 'member' }
  })
  t.equal(nobody.statusCode, 404)
  t.equal(v1Error(nobody).error_code, 'USER_NOT_FOUND')
  const nobodyId = await app.inject({ method: 'POST', url: `${W}/${ws.id}/members`, headers: owner.auth, payload: { user_id: newId(), role: 'member' } })
  t.equal(v1Error(nobodyId).error_code, 'USER_NOT_FOUND')

  for (const payload of [{ role: 'member' }, { user_id: bob.id, email: bob.email, role: 'member' }]) {
    const res = await app.inject({ method: 'POST', url: `${W}/${ws.id}/members`, headers: owner.auth, payload })
    t.equal(res.statusCode, 422, 'exactly one of user_id or email')
    t.equal(v1Error(res).error_code, 'VALIDATION_ERROR')
  }
  const asOwner = await app.inject({ method: 'POST', url: `${W}/${ws.id}/members`, headers: owner.auth, payload: { user_id: bob.id, role: 'owner' } })
  t.equal(asOwner.statusCode, 422, 'owner cannot be given')

  const promoted = await app.inject({ method: 'PUT', url: `${W}/${ws.id}/members/${alice.id}`, headers: owner.auth, payload: { role: 'admin' } })
  t.equal(promoted.statusCode, 200)
  t.match(promoted.json(), { user_id: alice.id, role: 'admin' })
  t.equal(app.services.workspaces.membership(ws.id, alice.id), 'admin')

  const notMember = await app.inject({ method: 'PUT', url: `${W}/${ws.id}/members/${bob.id}`, headers: owner.auth, payload: { role: 'viewer' } })
  t.equal(notMember.statusCode, 404)
  t.equal(v1Error(notMember).error_code, 'WORKSPACE_MEMBER_NOT_FOUND')

  const demoteOwner = await app.inject({ method: 'PUT', url: `${W}/${ws.id}/members/${owner.id}`, headers: alice.auth, payload: { role: 'viewer' } })
  t.equal(demoteOwner.statusCode, 409)
  t.equal(v1Error(demoteOwner).error_code, 'WORKSPACE_OWNER_LOCKED')
  for (const who of [alice, owner]) {
    const removeOwner = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}/members/${owner.id}`, headers: who.auth })
    t.equal(removeOwner.statusCode, 409, 'the owner cannot be removed, not even by themself')
    t.equal(v1Error(removeOwner).error_code, 'WORKSPACE_OWNER_LOCKED')
  }

  await addMember(app, owner, ws.id, bob, 'viewer')
  const page = await app.inject({ method: 'GET', url: `${W}/${ws.id}/members?sort=joined_at:asc`, headers: bob.auth })
  t.same(
    page.json().items.map((m: { user_id: string; role: string }) => [m.user_id, m.role]),
    [
      [owner.id, 'owner'],
      [alice.id, 'admin'],
      [bob.id, 'viewer']
    ]
  )
  const paged = await app.inject({ method: 'GET', url: `${W}/${ws.id}/members?size=2&page=2`, headers: bob.auth })
  t.match(paged.json(), { total: 3, page: 2, size: 2, pages: 2, has_next: false, has_prev: true })
  t.equal(paged.json().items.length, 1)

  const leave = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}/members/${bob.id}`, headers: bob.auth })
  t.equal(leave.statusCode, 204, 'a viewer can leave')
  t.match(events.at(-1), { type: 'workspace.member_changed', userId: bob.id, role: null })
  t.ok((events.at(-1) as { audience: string[] }).audience.includes(bob.id), 'the one removed hears of it')
  const afterLeave = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: bob.auth })
  t.equal(afterLeave.statusCode, 404)

  const removed = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}/members/${alice.id}`, headers: owner.auth })
  t.equal(removed.statusCode, 204)
  const twice = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}/members/${alice.id}`, headers: owner.auth })
  t.equal(twice.statusCode, 404)
  t.equal(v1Error(twice).error_code, 'WORKSPACE_MEMBER_NOT_FOUND')
  const count = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: owner.auth })
  t.equal(count.json().member_count, 1)
})

t.test('agents: attach (idempotent), list, detach', async (t) => {
  const app = await build(t)
  const owner = await signUp(app)
  const ws = await create(app, owner, { name: 'With agents' })
  const a1 = insertAssistant(app, 'Zed')
  const a2 = insertAssistant(app, 'amy')

  const first = await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: owner.auth, payload: { assistant_id: a1 } })
  t.equal(first.statusCode, 201)
  t.match(first.json(), { assistant_id: a1, name: 'Zed', description: 'Zed does things', status: 'active' })
  const again = await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: owner.auth, payload: { assistant_id: a1 } })
  t.equal(again.statusCode, 200, 'attaching twice is idempotent')
  t.same(again.json(), first.json(), 'and answers the same link')
  await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: owner.auth, payload: { assistant_id: a2 } })

  const got = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: owner.auth })
  t.same(got.json().agents, [a1, a2], 'the workspace lists agent ids, oldest first')

  const list = await app.inject({ method: 'GET', url: `${W}/${ws.id}/agents`, headers: owner.auth })
  t.equal(list.json().total, 2)
  t.same(
    list.json().items.map((a: { assistant_id: string }) => a.assistant_id),
    [a1, a2]
  )
  const byName = await app.inject({ method: 'GET', url: `${W}/${ws.id}/agents?sort=name:asc`, headers: owner.auth })
  t.same(
    byName.json().items.map((a: { name: string }) => a.name),
    ['amy', 'Zed'],
    'name sorts regardless of case'
  )

  const missing = await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: owner.auth, payload: { assistant_id: newId() } })
  t.equal(missing.statusCode, 404)
  t.equal(v1Error(missing).error_code, 'ASSISTANT_NOT_FOUND')
  const bad = await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: owner.auth, payload: { assistant_id: 'nope' } })
  t.equal(bad.statusCode, 422)
  const empty = await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: owner.auth, payload: {} })
  t.equal(empty.statusCode, 422)

  const detached = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}/agents/${a1}`, headers: owner.auth })
  t.equal(detached.statusCode, 204)
  const twice = await app.inject({ method: 'DELETE', url: `${W}/${ws.id}/agents/${a1}`, headers: owner.auth })
  t.equal(twice.statusCode, 404)
  t.equal(v1Error(twice).error_code, 'WORKSPACE_AGENT_NOT_FOUND')
  const after = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: owner.auth })
  t.same(after.json().agents, [a2])

  // Deleting an assistant unlinks it from workspaces.
  const { eq } = await import('drizzle-orm')
  app.database.db.delete(assistants).where(eq(assistants.id, a2)).run()
  const unlinked = await app.inject({ method: 'GET', url: `${W}/${ws.id}`, headers: owner.auth })
  t.same(unlinked.json().agents, [])
})

t.test('list: pagination, status filter and sort', async (t) => {
  const app = await build(t)
  const me = await signUp(app)
  const other = await signUp(app)
  const names = ['bravo', 'Alpha', 'delta', 'charlie', 'echo']
  const made: { id: string }[] = []
  for (const name of names) made.push(await create(app, me, { name }))
  await create(app, other, { name: 'not mine' })
  // A workspace of another user that I am a member of is listed too.
  const shared = await create(app, other, { name: 'shared' })
  await addMember(app, other, shared.id, me, 'viewer')

  await app.inject({ method: 'PUT', url: `${W}/${at(made, 1).id}`, headers: me.auth, payload: { status: 'archived' } })
  await app.inject({ method: 'PUT', url: `${W}/${at(made, 3).id}`, headers: me.auth, payload: { status: 'active' } })

  const all = await app.inject({ method: 'GET', url: W, headers: me.auth })
  t.equal(all.statusCode, 200)
  t.match(all.json(), { total: 6, page: 1, size: 20, pages: 1, has_next: false, has_prev: false })
  t.same(
    all.json().items.map((w: { name: string }) => w.name),
    ['shared', 'echo', 'charlie', 'delta', 'Alpha', 'bravo'],
    'newest first by default'
  )
  t.equal(all.json().items[0].role, 'viewer')

  const p1 = await app.inject({ method: 'GET', url: `${W}?size=4&sort=name:asc`, headers: me.auth })
  t.match(p1.json(), { total: 6, page: 1, size: 4, pages: 2, has_next: true, has_prev: false })
  t.same(
    p1.json().items.map((w: { name: string }) => w.name),
    ['Alpha', 'bravo', 'charlie', 'delta'],
    'name sorts regardless of case'
  )
  const p2 = await app.inject({ method: 'GET', url: `${W}?size=4&page=2&sort=name:asc`, headers: me.auth })
  t.match(p2.json(), { page: 2, has_next: false, has_prev: true })
  t.same(
    p2.json().items.map((w: { name: string }) => w.name),
    ['echo', 'shared']
  )
  const desc = await app.inject({ method: 'GET', url: `${W}?sort=name:desc&size=2`, headers: me.auth })
  t.same(
    desc.json().items.map((w: { name: string }) => w.name),
    ['shared', 'echo']
  )

  const archived = await app.inject({ method: 'GET', url: `${W}?status=archived`, headers: me.auth })
  t.match(archived.json(), { total: 1, items: [{ name: 'Alpha', status: 'archived' }] })
  const fresh = await app.inject({ method: 'GET', url: `${W}?status=new`, headers: me.auth })
  t.equal(fresh.json().total, 4)

  const byUpdate = await app.inject({ method: 'GET', url: `${W}?sort=updated_at:desc&size=2`, headers: me.auth })
  t.same(
    byUpdate.json().items.map((w: { name: string }) => w.name),
    ['charlie', 'Alpha'],
    'last updated first'
  )

  app.database.db.transaction((tx) => app.services.workspaces.touch(tx, at(made, 0).id))
  const byActivity = await app.inject({ method: 'GET', url: `${W}?sort=last_activity_at:desc&size=1`, headers: me.auth })
  t.equal(byActivity.json().items[0].name, 'bravo')

  const beyond = await app.inject({ method: 'GET', url: `${W}?page=9`, headers: me.auth })
  t.match(beyond.json(), { items: [], total: 6, page: 9, has_next: false, has_prev: true })

  for (const q of ['status=gone', 'sort=owner:asc', 'sort=name:sideways', 'size=0', 'size=101', 'page=0']) {
    const res = await app.inject({ method: 'GET', url: `${W}?${q}`, headers: me.auth })
    t.equal(res.statusCode, 422, q)
    t.equal(v1Error(res).error_code, 'VALIDATION_ERROR')
  }
})

t.test('touch records activity: last_activity_at, and new becomes active', async (t) => {
  const app = await build(t)
  const me = await signUp(app)
  const fresh = await create(app, me, { name: 'fresh' })
  const archived = await create(app, me, { name: 'archived' })
  await app.inject({ method: 'PUT', url: `${W}/${archived.id}`, headers: me.auth, payload: { status: 'archived' } })

  const at = '2030-01-01T00:00:00.000Z'
  app.database.db.transaction((tx) => {
    app.services.workspaces.touch(tx, fresh.id, at)
    app.services.workspaces.touch(tx, archived.id, at)
  })
  const a = (await app.inject({ method: 'GET', url: `${W}/${fresh.id}`, headers: me.auth })).json()
  t.match(a, { last_activity_at: at, status: 'active' })
  const b = (await app.inject({ method: 'GET', url: `${W}/${archived.id}`, headers: me.auth })).json()
  t.match(b, { last_activity_at: at, status: 'archived' }, 'an archived workspace stays archived')

  t.equal(app.services.workspaces.membership(fresh.id, me.id), 'owner')
  t.equal(app.services.workspaces.membership(fresh.id, newId()), undefined)
  t.equal(app.services.workspaces.membership(newId(), me.id), undefined)
})

t.test('validation: 422 for bad names and paths, 409 for a path in use', async (t) => {
  const app = await build(t)
  const me = await signUp(app)
  const other = await signUp(app)

  const badPaths = [
    'relative/path',
    '/',
    '/workspace/../etc',
    '/workspace/..',
    '/workspace/./x',
    '/workspace//x',
    '/workspace/x/',
    '/work\\space',
    '/bad\u0000byte',
    `/${'a'.repeat(1024)}`
  ]
  for (const path of badPaths) {
    const res = await app.inject({ method: 'POST', url: W, headers: me.auth, payload: { name: 'x', path } })
    t.equal(res.statusCode, 422, `create with path ${JSON.stringify(path.slice(0, 30))}`)
    const body = v1Error(res)
    t.equal(body.error_code, 'VALIDATION_ERROR')
    t.ok(
      body.errors?.some((e) => e.field === 'body.path'),
      'names the field'
    )
  }
  // Bodies are validated strictly: an empty path is refused, not coerced to null; null means none.
  const empty = await app.inject({ method: 'POST', url: W, headers: me.auth, payload: { name: 'blank', path: '' } })
  t.equal(empty.statusCode, 422)
  const blank = await create(app, me, { name: 'blank', path: null })
  t.equal(blank.path, null, 'null means no path')
  await app.inject({ method: 'DELETE', url: `${W}/${blank.id}`, headers: me.auth })
  const ok = await create(app, me, { name: 'ok', path: '/workspace/a b/ünïcode.d' })
  t.equal(ok.path, '/workspace/a b/ünïcode.d')
  for (const path of ['/workspace/../x', 'x']) {
    const res = await app.inject({ method: 'PUT', url: `${W}/${ok.id}`, headers: me.auth, payload: { path } })
    t.equal(res.statusCode, 422, `update with path ${path}`)
  }

  for (const payload of [
    {},
    { name: '' },
    { name: '   ' },
    { name: 'x'.repeat(101) },
    { name: { text: 'x' } },
    { name: 'x', extra: true },
    { name: 'x', path: 7 }
  ]) {
    const res = await app.inject({ method: 'POST', url: W, headers: me.auth, payload })
    t.equal(res.statusCode, 422, `create ${JSON.stringify(payload).slice(0, 40)}`)
    t.equal(v1Error(res).error_code, 'VALIDATION_ERROR')
  }
  for (const payload of [{ status: 'deleted' }, { name: '' }, { owner_id: other.id }]) {
    const res = await app.inject({ method: 'PUT', url: `${W}/${ok.id}`, headers: me.auth, payload })
    t.equal(res.statusCode, 422, `update ${JSON.stringify(payload)}`)
  }
  const notUuid = await app.inject({ method: 'GET', url: `${W}/not-a-uuid`, headers: me.auth })
  t.equal(notUuid.statusCode, 422)
  const malformed = await app.inject({
    method: 'POST',
    url: W,
    headers: { ...me.auth, 'content-type': 'application/json' },
    payload: '{"name":'
  })
  t.equal(malformed.statusCode, 400)
  t.equal(v1Error(malformed).error_code, 'MALFORMED_JSON')

  const taken = await app.inject({ method: 'POST', url: W, headers: other.auth, payload: { name: 'dup', path: '/workspace/a b/ünïcode.d' } })
  t.equal(taken.statusCode, 409)
  t.equal(v1Error(taken).error_code, 'WORKSPACE_PATH_TAKEN')
  const second = await create(app, me, { name: 'second', path: '/workspace/second' })
  const moveOnto = await app.inject({ method: 'PUT', url: `${W}/${second.id}`, headers: me.auth, payload: { path: ok.path } })
  t.equal(moveOnto.statusCode, 409)
  const keep = await app.inject({ method: 'PUT', url: `${W}/${second.id}`, headers: me.auth, payload: { path: '/workspace/second' } })
  t.equal(keep.statusCode, 200, 'keeping its own path is fine')

  const rows = app.database.db.select().from(workspaces).all()
  t.equal(rows.length, 2, 'no failed request made a workspace')
})

t.test("agents: another user's draft assistant cannot be attached", async (t) => {
  const app = await build(t)
  await signUp(app) // the admin
  const owner = await signUp(app)
  const other = await signUp(app)
  const ws = (await app.inject({ method: 'POST', url: W, headers: owner.auth, payload: { name: 'Team' } })).json()
  const draft = (
    await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: other.auth, payload: { name: 'Secret plans', status: 'draft' } })
  ).json()
  const res = await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: owner.auth, payload: { assistant_id: draft.id } })
  t.equal(res.statusCode, 404)
  t.equal(v1Error(res).error_code, 'ASSISTANT_NOT_FOUND')
  t.notOk(res.body.includes('Secret plans'))
  const mine = (await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: owner.auth, payload: { name: 'My draft', status: 'draft' } })).json()
  const ok = await app.inject({ method: 'POST', url: `${W}/${ws.id}/agents`, headers: owner.auth, payload: { assistant_id: mine.id } })
  t.equal(ok.statusCode, 201, 'one may attach one’s own draft')
})
