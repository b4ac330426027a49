import t from 'tap'
import { build, signUp, v1Error } from './helper.js'

t.test('JSON bodies are validated strictly; query strings and path parameters still coerce', async (t) => {
  const app = await build(t)
  const alice = await signUp(app)

  const numberName = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: alice.auth, payload: { name: 42 } })
  t.equal(numberName.statusCode, 422, 'a number where a string belongs is refused')
  t.match(v1Error(numberName), { error_code: 'VALIDATION_ERROR', errors: [{ field: 'body.name' }] })
  const stringTemperature = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: alice.auth, payload: { name: 'A', temperature: '0.5' } })
  t.equal(stringTemperature.statusCode, 422, 'a string where a number belongs is refused')
  const arrayForString = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: alice.auth, payload: { name: ['A'] } })
  t.equal(arrayForString.statusCode, 422, 'an array is not unwrapped into a string')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/assistants?owner_id=me', headers: alice.auth })).json().total, 0, 'nothing was stored')

  const made = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: alice.auth, payload: { name: 'A', temperature: 0.5 } })
  t.equal(made.statusCode, 201)
  // Query strings are text: `size=1` and `page=1` still become integers.
  const page = await app.inject({ method: 'GET', url: '/api/v1/assistants?owner_id=me&size=1&page=1', headers: alice.auth })
  t.equal(page.statusCode, 200)
  t.match(page.json(), { size: 1, page: 1, total: 1 })
})
