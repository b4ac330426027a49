import { mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { build, signUp } from './helper.js'

/**
 * Every request-body example of every document, sent as "Try it out" sends it, to a freshly built
 * app, after the obvious setup: signing up (with the sign-up and sign-in examples themselves),
 * making the things a path names, and putting their ids where the example names another thing
 * (an assistant, a conversation, a refresh token). It must succeed, not be refused as invalid or
 * as naming something unknown; a 201 must locate what it made.
 */

interface Operation {
  operationId: string
  requestBody?: { content: Record<string, { example?: Record<string, unknown> }> }
}
type Document = { paths: Record<string, Record<string, Operation>> }

const TERMINAL_KEY = 'examples-terminal-key-0123456789'

/** What a call needs beyond its example: credentials, path parameters, and ids the example stands in for. */
interface Setup {
  headers: Record<string, string>
  path: Record<string, string>
  body: Record<string, unknown>
}

type Call = (method: string, url: string, headers: Record<string, string>, payload?: unknown) => Promise<LightMyRequestResponse>

function exampleOf(doc: Document, operationId: string): Record<string, unknown> {
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      if (op.operationId === operationId) {
        const example = op.requestBody?.content['application/json']?.example
        if (example) return example
      }
    }
  }
  throw new Error(`no example for ${operationId}`)
}

async function ok(res: LightMyRequestResponse, what: string): Promise<Record<string, unknown>> {
  if (res.statusCode >= 300) throw new Error(`${what}: ${res.statusCode} ${res.body}`)
  return res.json()
}

async function v1Setup(app: FastifyInstance, doc: Document, operationId: string, call: Call): Promise<Setup> {
  const none: Setup = { headers: {}, path: {}, body: {} }
  if (operationId === 'register') return none
  const me = await ok(await call('POST', '/api/v1/auth/register', {}, exampleOf(doc, 'register')), 'register')
  const tokens = await ok(await call('POST', '/api/v1/auth/login', {}, exampleOf(doc, 'login')), 'login')
  if (operationId === 'login') return none
  const headers = { authorization: `Bearer ${tokens.access_token}` }
  const post = async (url: string, payload: unknown) => ok(await call('POST', url, headers, payload), url)
  const grace = await signUp(app, 'grace@example.com')
  const assistant = await post('/api/v1/assistants', { name: 'Helper', model: 'offline' })
  const conversation = await post('/api/v1/conversations', { title: 'Notes', initial_message: 'Remember the milk' })
  const message = (conversation.messages as { id: string }[])[0]
  const workspace = await post('/api/v1/workspaces', { name: 'Team' })
  if (operationId === 'updateWorkspaceMember') await post(`/api/v1/workspaces/${workspace.id}/members`, { user_id: grace.id, role: 'member' })
  const webhook = await post('/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['conversation.created'] })
  return {
    headers,
    path: {
      user_id: grace.id,
      conversation_id: String(conversation.id),
      message_id: String(message?.id),
      workspace_id: String(workspace.id),
      webhook_id: String(webhook.id),
      assistant_id: String(assistant.id)
    },
    body: { assistant_id: assistant.id, refresh_token: tokens.refresh_token, me: me.id }
  }
}

async function chatAppSetup(doc: Document, operationId: string, call: Call): Promise<Setup> {
  const none: Setup = { headers: {}, path: {}, body: {} }
  if (operationId === 'register') return none
  const me = await ok(await call('POST', '/api/auth/register', {}, exampleOf(doc, 'register')), 'register')
  const tokens = await ok(await call('POST', '/api/auth/login', {}, exampleOf(doc, 'login')), 'login')
  if (operationId === 'login') return none
  const headers = { authorization: `Bearer ${tokens.access_token}` }
  const conversation = await ok(await call('POST', '/api/conversations', headers, { is_ai: true }), 'conversation')
  return { headers, path: {}, body: { conversation_id: conversation.conversation_id, sender_id: me.user_id } }
}

async function classicSetup(doc: Document, operationId: string, call: Call): Promise<Setup> {
  const none: Setup = { headers: {}, path: {}, body: {} }
  if (operationId === 'register') return none
  await ok(await call('POST', '/register', {}, exampleOf(doc, 'register')), 'register')
  const tokens = await ok(await call('POST', '/auth/login', {}, exampleOf(doc, 'login')), 'login')
  if (operationId === 'login') return none
  const headers = { authorization: `Bearer ${tokens.access_token}` }
  const created = await ok(await call('POST', '/workspace', headers, { name: 'Team' }), 'workspace')
  const workspaceId = String((created.workspace as { workspace_id: string }).workspace_id)
  const assistant = await ok(await call('POST', '/api/v1/assistants', headers, { name: 'Helper', model: 'offline' }), 'assistant')
  if (operationId === 'removeWorkspaceAgent') {
    await ok(await call('POST', `/workspace/${workspaceId}/agent`, headers, { agent_id: assistant.id }), 'agent')
  }
  return { headers, path: { workspace_id: workspaceId }, body: { agent_id: assistant.id } }
}

async function dispatchSetup(doc: Document, operationId: string, call: Call, root: string): Promise<Setup> {
  const headers = { authorization: `Bearer ${TERMINAL_KEY}` }
  const path = `${root}/new-project`
  const body = { path, workspacePath: path }
  if (operationId === 'createWorkspace') return { headers, path: {}, body }
  const workspace = await ok(await call('POST', '/api/workspaces', headers, { ...exampleOf(doc, 'createWorkspace'), path }), 'workspace')
  const ids: Record<string, string> = { workspaceId: String(workspace.id) }
  if (operationId === 'stopSession') {
    const session = await ok(await call('POST', '/api/sessions', headers, { type: 'pty', workspacePath: path }), 'session')
    ids.id = String(session.id)
  }
  return { headers, path: ids, body }
}

/** A path template's pattern, to find the operation a Location names. */
function templatePattern(template: string): RegExp {
  return new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`)
}

t.test('every request example is accepted as "Try it out" sends it', async (t) => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'examples-root-')))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const probe = await build(t, { terminalKey: TERMINAL_KEY, workspacesRoot: root })
  let sent = 0
  for (const surface of probe.surfaces.list()) {
    const doc = probe.surfaces.document(surface.name) as Document
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const example = op.requestBody?.content['application/json']?.example
        if (!op.requestBody?.content['application/json']) continue
        t.ok(example, `${surface.name} ${op.operationId} has a request example`)
        if (!example) continue
        await t.test(`${surface.name} ${op.operationId}`, async (t) => {
          const app = await build(t, { terminalKey: TERMINAL_KEY, workspacesRoot: root, webhookAllowPrivate: true })
          const call: Call = (m, url, headers, payload) =>
            app.inject({
              method: m as 'POST',
              url,
              headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
              payload: payload as string
            })
          const setup =
            surface.name === 'v1'
              ? await v1Setup(app, doc, op.operationId, call)
              : surface.name === 'chat-app'
                ? await chatAppSetup(doc, op.operationId, call)
                : surface.name === 'classic'
                  ? await classicSetup(doc, op.operationId, call)
                  : await dispatchSetup(doc, op.operationId, call, root)
          // Only the fields that name another thing are replaced; everything else is sent as it is.
          const body = Object.fromEntries(Object.entries(example).map(([k, v]) => [k, k in setup.body ? setup.body[k] : v]))
          const url = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
            const id = setup.path[name]
            if (!id) throw new Error(`no ${name} for ${op.operationId}`)
            return encodeURIComponent(id)
          })
          const res = await call(method.toUpperCase(), url, setup.headers, body)
          const refusal = res.statusCode >= 400 ? res.body : ''
          if (op.operationId === 'createWebhook' && /could not be resolved/.test(refusal)) {
            t.pass('the example is well formed; this machine cannot resolve its host name')
          } else if (op.operationId === 'runAssistantAudio' && res.statusCode === 503) {
            t.match(refusal, /SPEECH_NOT_CONFIGURED/, 'accepted; no speech engine is installed here')
          } else {
            t.ok(res.statusCode < 300, `${method.toUpperCase()} ${url} answers ${res.statusCode} ${refusal.slice(0, 300)}`)
          }
          sent++
          if (res.statusCode !== 201) return
          const location = res.headers.location
          t.match(location, /^\//, 'a 201 has a Location')
          const locatedPath = String(location).split('?')[0] ?? ''
          const readable = Object.entries(doc.paths).find(([p, ops]) => ops.get && templatePattern(p).test(locatedPath))
          if (!readable || locatedPath.startsWith('/ws')) return
          // What signing up made is read once signed in, with the sign-in example.
          const signIn =
            op.operationId === 'register'
              ? await call('POST', surface.name === 'v1' ? '/api/v1/auth/login' : '/api/auth/login', {}, exampleOf(doc, 'login'))
              : undefined
          const headers = signIn ? { authorization: `Bearer ${signIn.json().access_token}` } : setup.headers
          const located = await call('GET', String(location), headers)
          t.equal(located.statusCode, 200, `GET ${location} finds what was made`)
        })
      }
    }
  }
  t.ok(sent >= 45, `${sent} examples sent`)
})
