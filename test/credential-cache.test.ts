import { eq } from 'drizzle-orm'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { users } from '../src/db/schema.js'
import { BoundedCache } from '../src/domain/credential-cache.js'
import { type Account, build, signUp, v1Error } from './helper.js'

type App = Awaited<ReturnType<typeof build>>

const me = (app: App, who: Pick<Account, 'auth'>) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: who.auth })

async function login(app: App, email: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'correct horse battery' } })
  if (res.statusCode !== 200) throw new Error(res.body)
  const token: string = res.json().access_token
  return { auth: { authorization: `Bearer ${token}` } }
}

t.test('a bounded cache keeps at most max entries, each until its time', async (t) => {
  const cache = new BoundedCache<string, number>(2, 1000)
  cache.set('a', 1, Number.POSITIVE_INFINITY, 0)
  cache.set('b', 2, 500, 0)
  t.equal(cache.get('a', 10), 1)
  t.equal(cache.get('b', 499), 2)
  t.equal(cache.get('b', 500), undefined, 'gone at its own time')
  cache.set('c', 3, Number.POSITIVE_INFINITY, 0)
  cache.set('d', 4, Number.POSITIVE_INFINITY, 0)
  t.equal(cache.size, 2, 'never more than max')
  t.equal(cache.get('a', 10), undefined, 'the oldest went first')
  t.equal(cache.get('d', 999), 4)
  t.equal(cache.get('d', 1000), undefined, 'and nothing outlives the age limit')
  cache.deleteWhere((v) => v === 3)
  t.equal(cache.get('c', 10), undefined)
  const off = new BoundedCache<string, number>(0, 1000)
  off.set('a', 1)
  t.equal(off.get('a'), undefined, 'max 0 keeps nothing')
})

t.test('a token used before stops working as soon as its session is revoked', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const other = await login(app, ada.email)
  t.equal((await me(app, ada)).statusCode, 200)
  t.equal((await me(app, other)).statusCode, 200, 'both tokens are verified and their sessions read')

  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: ada.auth, payload: {} })).statusCode, 204)
  const after = await me(app, ada)
  t.equal(after.statusCode, 401, 'logout is in force for the very next request')
  t.equal(v1Error(after).error_code, 'INVALID_TOKEN')
  t.equal((await me(app, other)).statusCode, 200, 'the other session goes on')
})

t.test('profile, role, password and account changes are in force at once for tokens used before', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const bob = await signUp(app)
  const bobElsewhere = await login(app, bob.email)
  t.equal((await me(app, bob)).json().full_name, null)
  t.equal((await me(app, bobElsewhere)).statusCode, 200)

  await app.inject({ method: 'PUT', url: '/api/v1/users/me', headers: bob.auth, payload: { full_name: 'Bob' } })
  t.equal((await me(app, bob)).json().full_name, 'Bob', 'the profile read after an update is the new one')

  await app.inject({ method: 'PUT', url: `/api/v1/users/${bob.id}`, headers: admin.auth, payload: { role: 'admin' } })
  const list = await app.inject({ method: 'GET', url: '/api/v1/users', headers: bob.auth })
  t.equal(list.statusCode, 200, 'a new role counts on the next request')
  await app.inject({ method: 'PUT', url: `/api/v1/users/${bob.id}`, headers: admin.auth, payload: { role: 'user' } })
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: bob.auth })).statusCode, 403, 'and so does losing it')

  const changed = await app.inject({
    method: 'PUT',
    url: '/api/v1/users/me',
    headers: bob.auth,
    payload: { password: 'another fine passphrase', current_password: 'correct horse battery' }
  })
  t.equal(changed.statusCode, 200)
  t.equal((await me(app, bobElsewhere)).statusCode, 401, "a password change ends the other session's token at once")
  t.equal((await me(app, bob)).statusCode, 200, 'the session that changed it goes on')

  await app.inject({ method: 'PUT', url: `/api/v1/users/${bob.id}`, headers: admin.auth, payload: { is_active: false } })
  t.equal((await me(app, bob)).statusCode, 401, 'a disabled account is refused at once')

  const carol = await signUp(app)
  t.equal((await me(app, carol)).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${carol.id}`, headers: admin.auth })).statusCode, 204)
  t.equal((await me(app, carol)).statusCode, 401, 'a deleted account is refused at once')
})

t.test('a verified token is trusted only until it expires', async (t) => {
  const app = await build(t)
  const ada = await signUp(app)
  const claims = app.jwt.decode<{ sid: string }>(ada.token)
  const short = app.jwt.sign({ sub: ada.id, role: 'user', sid: claims!.sid, typ: 'access' }, { expiresIn: 1 })
  const auth = { authorization: `Bearer ${short}` }
  t.equal((await me(app, { auth })).statusCode, 200)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal((await me(app, { auth })).statusCode, 401, 'refused once it has expired, though it was verified before')
})

t.test('a change made in the database behind the service is seen within the age limit', async (t) => {
  const app = await buildApp({ config: testConfig(), credentialCache: { maxAgeMs: 300 } })
  t.teardown(() => app.close())
  const ada = await signUp(app)
  t.equal((await me(app, ada)).statusCode, 200)
  app.database.db.update(users).set({ fullName: 'Set by hand' }).where(eq(users.id, ada.id)).run()
  await new Promise((resolve) => setTimeout(resolve, 350))
  t.equal((await me(app, ada)).json().full_name, 'Set by hand', 'the row is read again once the kept one is too old')
})
