import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../src/app.js'
import { type Config, testConfig } from '../src/config.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Builds the whole app in-process on a fresh in-memory database, closed when the test ends. */
export async function build(t: Teardown, overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ config: testConfig(overrides) })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

export interface Account {
  id: string
  email: string
  token: string
  refresh: string
  auth: { authorization: string }
}

let counter = 0

/** Registers an account and signs it in. The first account of an app is its admin. */
export async function signUp(app: FastifyInstance, email = `user${++counter}@example.com`, password = 'correct horse battery'): Promise<Account> {
  const reg = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password } })
  if (reg.statusCode !== 201) throw new Error(`register failed: ${reg.statusCode} ${reg.body}`)
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`)
  const tokens = login.json()
  return {
    id: reg.json().id,
    email,
    token: tokens.access_token,
    refresh: tokens.refresh_token,
    auth: { authorization: `Bearer ${tokens.access_token}` }
  }
}

/** Makes an assistant of `who` on the offline model that everyone may use; returns its id. */
export async function publicAssistant(app: FastifyInstance, who: Account): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/assistants',
    headers: who.auth,
    payload: { name: 'Helper', model: 'offline', visibility: 'public' }
  })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().id
}

/** The item at `index`, or a failure that says what was missing (for lists a test has just checked). */
export function at<T>(list: readonly T[], index: number, what = 'item'): T {
  const item = list[index]
  if (item === undefined) throw new Error(`expected a ${what} at index ${index}, got ${list.length}`)
  return item
}

/** Asserts the v1 error shape and returns the body. */
export function v1Error(res: LightMyRequestResponse): {
  detail: string
  status_code: number
  error_code: string
  errors?: { field: string; message: string }[]
} {
  const body = res.json()
  if (typeof body.detail !== 'string' || body.status_code !== res.statusCode || typeof body.error_code !== 'string') {
    throw new Error(`not a v1 error body: ${res.statusCode} ${res.body}`)
  }
  return body
}
