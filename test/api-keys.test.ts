import t from 'tap'
import { build, signUp, v1Error } from './helper.js'

t.test('API keys are shown once, work as bearer tokens and stop when revoked', async (t) => {
  const app = await build(t)
  const acct = await signUp(app)
  const other = await signUp(app)

  const created = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: acct.auth, payload: { name: 'ci' } })
  t.equal(created.statusCode, 201)
  const key = created.json()
  t.match(key, { name: 'ci', key: /^ak_/ })
  t.equal(key.key.slice(0, 10), key.prefix)

  const list = await app.inject({ method: 'GET', url: '/api/v1/api-keys', headers: acct.auth })
  t.equal(list.statusCode, 200)
  t.equal(list.json().total, 1)
  t.notOk('key' in list.json().items[0], 'the key is never shown again')
  const othersList = await app.inject({ method: 'GET', url: '/api/v1/api-keys', headers: other.auth })
  t.equal(othersList.json().total, 0, 'keys are per user')

  const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${key.key}` } })
  t.equal(me.statusCode, 200)
  t.equal(me.json().id, acct.id)
  const used = await app.inject({ method: 'GET', url: '/api/v1/api-keys', headers: acct.auth })
  t.type(used.json().items[0].last_used_at, 'string', 'use is recorded')

  const stolen = await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: other.auth })
  t.equal(stolen.statusCode, 404, "another user cannot revoke one's key")

  const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: acct.auth })
  t.equal(revoked.statusCode, 204)
  const after = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${key.key}` } })
  t.equal(after.statusCode, 401)
  t.equal(v1Error(after).error_code, 'INVALID_TOKEN')
  const twice = await app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: acct.auth })
  t.equal(twice.statusCode, 404)

  const invalid = await app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: acct.auth, payload: { name: '' } })
  t.equal(invalid.statusCode, 422)
  const anon = await app.inject({ method: 'GET', url: '/api/v1/api-keys' })
  t.equal(anon.statusCode, 401)
})
