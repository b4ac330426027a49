import t from 'tap'
import { build, signUp, v1Error } from './helper.js'

t.test('the current user reads and updates their profile', async (t) => {
  const app = await build(t)
  const acct = await signUp(app, 'ada@example.com')
  await signUp(app, 'taken@example.com')

  const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: acct.auth })
  t.equal(me.statusCode, 200)
  t.equal(me.json().email, 'ada@example.com')

  const named = await app.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { full_name: 'Ada Lovelace' } })
  t.equal(named.statusCode, 200)
  t.equal(named.json().full_name, 'Ada Lovelace')
  t.ok(named.json().updated_at >= me.json().updated_at)

  const taken = await app.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { email: 'TAKEN@example.com' } })
  t.equal(taken.statusCode, 409)
  t.equal(v1Error(taken).error_code, 'EMAIL_TAKEN')

  const noCurrent = await app.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { password: 'a new password' } })
  t.equal(noCurrent.statusCode, 401, 'a new password needs the current one')
  const wrongCurrent = await app.inject({
    method: 'PUT',
    url: '/api/v1/users/me',
    headers: acct.auth,
    payload: { password: 'a new password', current_password: 'nope nope' }
  })
  t.equal(wrongCurrent.statusCode, 401)
  const changed = await app.inject({
    method: 'PUT',
    url: '/api/v1/users/me',
    headers: acct.auth,
    payload: { password: 'a new password', current_password: 'correct horse battery' }
  })
  t.equal(changed.statusCode, 200)
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'ada@example.com', password: 'a new password' } })
  t.equal(login.statusCode, 200)

  const noRole = await app.inject({ method: 'PUT', url: '/api/v1/users/me', headers: acct.auth, payload: { role: 'user' } })
  t.equal(noRole.statusCode, 422, 'role is not changed through /users/me')
})

t.test('admin-only user administration', async (t) => {
  const app = await build(t)
  const admin = await signUp(app, 'admin@example.com')
  const bob = await signUp(app, 'bob@example.com')
  const carol = await signUp(app, 'carol@example.com')

  // A normal user is refused every admin route.
  const asBob = [
    { method: 'GET' as const, url: '/api/v1/users' },
    { method: 'GET' as const, url: `/api/v1/users/${carol.id}` },
    { method: 'PUT' as const, url: `/api/v1/users/${carol.id}`, payload: { full_name: 'x' } },
    { method: 'PUT' as const, url: `/api/v1/users/${bob.id}`, payload: { role: 'admin' } },
    { method: 'DELETE' as const, url: `/api/v1/users/${carol.id}` }
  ]
  for (const r of asBob) {
    const res = await app.inject({ ...r, headers: bob.auth })
    t.equal(res.statusCode, 403, `${r.method} ${r.url} as a normal user`)
    t.equal(v1Error(res).error_code, 'ADMIN_REQUIRED')
  }
  const self = await app.inject({ method: 'GET', url: `/api/v1/users/${bob.id}`, headers: bob.auth })
  t.equal(self.statusCode, 200, 'a user may read themself by id')

  const list = await app.inject({ method: 'GET', url: '/api/v1/users?size=2', headers: admin.auth })
  t.equal(list.statusCode, 200)
  t.match(list.json(), { total: 3, page: 1, size: 2, pages: 2, has_next: true, has_prev: false })
  t.equal(list.json().items.length, 2)
  const page2 = await app.inject({ method: 'GET', url: '/api/v1/users?size=2&page=2', headers: admin.auth })
  t.match(page2.json(), { page: 2, has_next: false, has_prev: true })
  t.equal(page2.json().items.length, 1)
  const sorted = await app.inject({ method: 'GET', url: '/api/v1/users?sort=email:desc', headers: admin.auth })
  t.same(
    sorted.json().items.map((u: { email: string }) => u.email),
    ['carol@example.com', 'bob@example.com', 'admin@example.com']
  )
  const filtered = await app.inject({ method: 'GET', url: '/api/v1/users?role=admin', headers: admin.auth })
  t.equal(filtered.json().total, 1)
  const badSort = await app.inject({ method: 'GET', url: '/api/v1/users?sort=password_hash:asc', headers: admin.auth })
  t.equal(badSort.statusCode, 422)
  const badSize = await app.inject({ method: 'GET', url: '/api/v1/users?size=1000', headers: admin.auth })
  t.equal(badSize.statusCode, 422)
  for (const u of list.json().items) t.notOk('password_hash' in u)

  const promote = await app.inject({ method: 'PUT', url: `/api/v1/users/${bob.id}`, headers: admin.auth, payload: { role: 'admin' } })
  t.equal(promote.statusCode, 200)
  t.equal(promote.json().role, 'admin')
  const bobLists = await app.inject({ method: 'GET', url: '/api/v1/users', headers: bob.auth })
  t.equal(bobLists.statusCode, 200, 'a promoted user is an admin at once')

  const missing = await app.inject({ method: 'GET', url: '/api/v1/users/01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', headers: admin.auth })
  t.equal(missing.statusCode, 404)
  t.equal(v1Error(missing).error_code, 'USER_NOT_FOUND')

  const del = await app.inject({ method: 'DELETE', url: `/api/v1/users/${carol.id}`, headers: admin.auth })
  t.equal(del.statusCode, 204)
  const gone = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: carol.auth })
  t.equal(gone.statusCode, 401, "a deleted user's token stops working")
  const again = await app.inject({ method: 'DELETE', url: `/api/v1/users/${carol.id}`, headers: admin.auth })
  t.equal(again.statusCode, 404)
})

t.test('the last admin cannot be demoted, disabled or deleted', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  for (const payload of [{ role: 'user' }, { is_active: false }]) {
    const res = await app.inject({ method: 'PUT', url: `/api/v1/users/${admin.id}`, headers: admin.auth, payload })
    t.equal(res.statusCode, 409)
    t.equal(v1Error(res).error_code, 'LAST_ADMIN')
  }
  const del = await app.inject({ method: 'DELETE', url: `/api/v1/users/${admin.id}`, headers: admin.auth })
  t.equal(del.statusCode, 409)
})
