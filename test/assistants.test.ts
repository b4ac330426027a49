import t from 'tap'
import { build, signUp, v1Error } from './helper.js'

const MISSING = '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'

t.test('create, read, update and delete an assistant', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const ada = await signUp(app)

  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/assistants',
    headers: ada.auth,
    payload: {
      name: 'My Assistant',
      description: 'A helpful AI assistant',
      personality: 'Friendly and professional',
      system_prompt: 'You are a helpful assistant...',
      tools: ['calculator'],
      temperature: 0.5,
      category: 'general'
    }
  })
  t.equal(created.statusCode, 201)
  const a = created.json()
  t.match(a, {
    name: 'My Assistant',
    description: 'A helpful AI assistant',
    personality: 'Friendly and professional',
    system_prompt: 'You are a helpful assistant...',
    tools: ['calculator'],
    model: 'offline',
    temperature: 0.5,
    status: 'active',
    category: 'general',
    owner_id: ada.id
  })
  t.match(a.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

  const got = await app.inject({ method: 'GET', url: `/api/v1/assistants/${a.id}`, headers: admin.auth })
  t.same(got.json(), a)

  const updated = await app.inject({
    method: 'PUT',
    url: `/api/v1/assistants/${a.id}`,
    headers: ada.auth,
    payload: { name: 'Renamed', description: null, model: 'openai:gpt-4o-mini', tools: ['calculator', 'current_time'] }
  })
  t.equal(updated.statusCode, 200)
  t.match(updated.json(), {
    name: 'Renamed',
    description: null,
    model: 'openai:gpt-4o-mini',
    tools: ['calculator', 'current_time'],
    personality: 'Friendly and professional'
  })
  t.ok(updated.json().updated_at >= a.updated_at)

  const gpt4 = await app.inject({
    method: 'POST',
    url: '/api/v1/assistants',
    headers: ada.auth,
    payload: { name: 'Doc example', model: 'gpt-4', temperature: 0.7 }
  })
  t.equal(gpt4.statusCode, 201, 'bare model names are accepted')

  const del = await app.inject({ method: 'DELETE', url: `/api/v1/assistants/${a.id}`, headers: ada.auth })
  t.equal(del.statusCode, 204)
  const gone = await app.inject({ method: 'GET', url: `/api/v1/assistants/${a.id}`, headers: ada.auth })
  t.equal(gone.statusCode, 404)
  t.equal(v1Error(gone).error_code, 'ASSISTANT_NOT_FOUND')
})

t.test('invalid assistants are refused with the failing field', async (t) => {
  const app = await build(t)
  const u = await signUp(app)
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/assistants', headers: u.auth, payload: payload as object })
  for (const [payload, code] of [
    [{}, 'VALIDATION_ERROR'],
    [{ name: '' }, 'VALIDATION_ERROR'],
    [{ name: 'x', temperature: 3 }, 'VALIDATION_ERROR'],
    [{ name: 'x', status: 'archived' }, 'VALIDATION_ERROR'],
    [{ name: 'x', owner_id: u.id }, 'VALIDATION_ERROR'],
    [{ name: 'x', model: 'mystery-model' }, 'UNKNOWN_MODEL'],
    [{ name: 'x', tools: ['web_search', 'calculator'] }, 'UNKNOWN_TOOL'],
    [{ name: 'x', tools: ['calculator', 'calculator'] }, 'VALIDATION_ERROR']
  ] as const) {
    const res = await post(payload)
    t.equal(res.statusCode, 422, JSON.stringify(payload))
    t.equal(v1Error(res).error_code, code)
  }
  const unknownTool = v1Error(await post({ name: 'x', tools: ['web_search'] }))
  t.match(unknownTool.detail, /web_search/)
  t.same(unknownTool.errors, [{ field: 'body.tools', message: 'web_search is not a tool' }])
  const noAuth = await app.inject({ method: 'POST', url: '/api/v1/assistants', payload: { name: 'x' } })
  t.equal(noAuth.statusCode, 401)
  const badId = await app.inject({ method: 'GET', url: '/api/v1/assistants/not-a-uuid', headers: u.auth })
  t.equal(badId.statusCode, 422)
})

t.test('who sees and who may change an assistant', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const owner = await signUp(app)
  const other = await signUp(app)
  const make = async (status: string) =>
    (
      await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: owner.auth, payload: { name: `${status} one`, status, visibility: 'public' } })
    ).json().id as string
  const active = await make('active')
  const draft = await make('draft')
  const inactive = await make('inactive')

  // Another user sees the active public one, not the draft or inactive ones.
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/assistants/${active}`, headers: other.auth })).statusCode, 200)
  for (const id of [draft, inactive, MISSING]) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/assistants/${id}`, headers: other.auth })
    t.equal(res.statusCode, 404)
    t.equal(v1Error(res).error_code, 'ASSISTANT_NOT_FOUND')
  }
  // ... may not change what they see (403), and cannot learn of what they do not (404).
  for (const method of ['PUT', 'DELETE'] as const) {
    const visible = await app.inject({
      method,
      url: `/api/v1/assistants/${active}`,
      headers: other.auth,
      payload: method === 'PUT' ? { name: 'mine now' } : undefined
    })
    t.equal(visible.statusCode, 403, `${method} someone else's active assistant`)
    t.equal(v1Error(visible).error_code, 'NOT_ASSISTANT_OWNER')
    const hidden = await app.inject({
      method,
      url: `/api/v1/assistants/${draft}`,
      headers: other.auth,
      payload: method === 'PUT' ? { name: 'mine now' } : undefined
    })
    t.equal(hidden.statusCode, 404, `${method} someone else's draft`)
  }
  // The owner and admins see and change everything of theirs / everyone's.
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/assistants/${draft}`, headers: owner.auth })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/assistants/${draft}`, headers: admin.auth })).statusCode, 200)
  const byAdmin = await app.inject({ method: 'PUT', url: `/api/v1/assistants/${inactive}`, headers: admin.auth, payload: { status: 'active' } })
  t.equal(byAdmin.statusCode, 200)
  t.equal(byAdmin.json().owner_id, owner.id, 'an admin edit keeps the owner')
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/assistants/${inactive}`, headers: other.auth })).statusCode, 200, 'activated: now visible')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/assistants/${draft}`, headers: admin.auth })).statusCode, 204)

  // Lists follow the same rule.
  const ids = async (who: { auth: Record<string, string> }, query = '') =>
    (await app.inject({ method: 'GET', url: `/api/v1/assistants${query}`, headers: who.auth })).json().items.map((a: { id: string }) => a.id)
  const otherDraft = (
    await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: other.auth, payload: { name: 'my draft', status: 'draft' } })
  ).json().id
  t.same(await ids(other), [active, inactive, otherDraft])
  t.same(await ids(owner), [active, inactive])
  t.same(await ids(admin), [active, inactive, otherDraft])
  t.same(await ids(other, '?status=draft'), [otherDraft], 'a status filter shows only your own drafts')
  t.same(await ids(owner, '?status=draft'), [])
  t.same(await ids(other, '?owner_id=me'), [otherDraft])
})

t.test('list: page envelope, filters and sort', async (t) => {
  const app = await build(t)
  const u = await signUp(app)
  for (const [name, category] of [
    ['Charlie', 'general'],
    ['alpha', 'coding'],
    ['Bravo', 'general']
  ]) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: u.auth, payload: { name, category } })
    t.equal(res.statusCode, 201)
  }
  const page = await app.inject({ method: 'GET', url: '/api/v1/assistants?size=2', headers: u.auth })
  t.match(page.json(), { total: 3, page: 1, size: 2, pages: 2, has_next: true, has_prev: false })
  t.same(
    page.json().items.map((a: { name: string }) => a.name),
    ['Charlie', 'alpha'],
    'oldest first by default'
  )
  const names = async (q: string) =>
    (await app.inject({ method: 'GET', url: `/api/v1/assistants?${q}`, headers: u.auth })).json().items.map((a: { name: string }) => a.name)
  t.same(await names('sort=created_at:desc'), ['Bravo', 'alpha', 'Charlie'])
  t.same(await names('category=general&sort=created_at:asc'), ['Charlie', 'Bravo'])
  t.same(await names('status=active&category=coding'), ['alpha'])
  t.same(await names('status=inactive'), [])
  t.same((await names('sort=name:asc')).length, 3)
  const bad = await app.inject({ method: 'GET', url: '/api/v1/assistants?sort=owner_id:asc', headers: u.auth })
  t.equal(bad.statusCode, 422)
  const badStatus = await app.inject({ method: 'GET', url: '/api/v1/assistants?status=gone', headers: u.auth })
  t.equal(badStatus.statusCode, 422)
})

t.test('assistants are private by default; visibility shares them; only owners and admins read the setup', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const owner = await signUp(app)
  const member = await signUp(app)
  const stranger = await signUp(app)
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/assistants',
    headers: owner.auth,
    payload: { name: 'Helper', system_prompt: 'SECRET-PROMPT', tools: ['calculator'] }
  })
  t.equal(created.statusCode, 201)
  const a = created.json()
  t.equal(a.visibility, 'private', 'private by default')
  t.equal(a.system_prompt, 'SECRET-PROMPT', 'the owner reads the prompt')
  const url = `/api/v1/assistants/${a.id}`
  const get = (who: { auth: Record<string, string> }) => app.inject({ method: 'GET', url, headers: who.auth })
  const listed = async (who: { auth: Record<string, string> }) =>
    (await app.inject({ method: 'GET', url: '/api/v1/assistants', headers: who.auth })).json().items.some((x: { id: string }) => x.id === a.id)

  for (const who of [member, stranger]) {
    t.equal((await get(who)).statusCode, 404, 'a private assistant is hidden from others')
    t.notOk(await listed(who))
  }
  const asAdmin = await get(admin)
  t.equal(asAdmin.json().system_prompt, 'SECRET-PROMPT', 'admins read it')
  const chat = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: stranger.auth, payload: { assistant_id: a.id } })
  t.equal(chat.statusCode, 404, 'nobody else may talk to a private assistant')

  // Shared with the members of a workspace it is attached to.
  const ws = (await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: 'Team' } })).json()
  await app.inject({ method: 'POST', url: `/api/v1/workspaces/${ws.id}/members`, headers: owner.auth, payload: { user_id: member.id, role: 'member' } })
  const attached = await app.inject({ method: 'POST', url: `/api/v1/workspaces/${ws.id}/agents`, headers: owner.auth, payload: { assistant_id: a.id } })
  t.equal(attached.statusCode, 201)
  t.equal((await get(member)).statusCode, 404, 'attached but private: still hidden')
  const shared = await app.inject({ method: 'PUT', url, headers: owner.auth, payload: { visibility: 'workspace' } })
  t.equal(shared.json().visibility, 'workspace')
  const seen = await get(member)
  t.equal(seen.statusCode, 200, 'a member of the workspace sees it')
  t.notOk('system_prompt' in seen.json() || 'tools' in seen.json(), 'but not its prompt or tools')
  t.notOk(seen.body.includes('SECRET-PROMPT'))
  t.ok(await listed(member))
  t.equal((await get(stranger)).statusCode, 404, 'someone outside the workspace does not')
  t.notOk(await listed(stranger))
  const theirs = (await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: member.auth, payload: { name: 'Mine' } })).json()
  const reshare = await app.inject({ method: 'POST', url: `/api/v1/workspaces/${theirs.id}/agents`, headers: member.auth, payload: { assistant_id: a.id } })
  t.equal(reshare.statusCode, 403, 'a member cannot share it further')

  // Public: everyone signed in sees and uses it, never its setup.
  await app.inject({ method: 'PUT', url, headers: owner.auth, payload: { visibility: 'public' } })
  const pub = await get(stranger)
  t.equal(pub.statusCode, 200)
  t.notOk(pub.body.includes('SECRET-PROMPT'))
  t.notOk('tools' in pub.json())
  const list = await app.inject({ method: 'GET', url: '/api/v1/assistants', headers: stranger.auth })
  t.notOk(list.body.includes('SECRET-PROMPT'), 'nor in lists')
  const talk = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: stranger.auth, payload: { assistant_id: a.id } })
  t.equal(talk.statusCode, 201, 'and may talk to it')

  const bad = await app.inject({ method: 'PUT', url, headers: owner.auth, payload: { visibility: 'everyone' } })
  t.equal(bad.statusCode, 422)
})
