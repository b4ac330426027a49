import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { and, eq, isNull } from 'drizzle-orm'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { openDatabase } from '../src/db/index.js'
import { apiKeys, assistants, conversations, users } from '../src/db/schema.js'

const root = new URL('..', import.meta.url).pathname

/** Runs `scripts/seed.ts` (what `npm run seed` runs) as a process; its exit code and output. */
function runSeed(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/seed.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, ENV_FILE: join(tmpdir(), 'no-such-dir', '.env'), ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
}

t.test('npm run seed makes a demo account, assistant, conversation and key, once', async (t) => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'seed-')), 'data')
  const first = await runSeed({ DATA_DIR: dataDir })
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /account\s+demo@example\.com \/ correct horse battery staple \(made now; an admin/)
  t.match(first.stdout, /assistant\s+Demo assistant [\w-]+ \(made now; model offline, tools calculator, current_time\)/)
  t.match(first.stdout, /conversation\s+Welcome [\w-]+ \(made now\)/)
  t.match(first.stdout, new RegExp(`Demo data in ${join(dataDir, 'app.db')}`))
  const key1 = /API key\s+(\S+)/.exec(first.stdout)?.[1]
  t.ok(key1, 'a key is printed')

  const second = await runSeed({ DATA_DIR: dataDir })
  t.equal(second.code, 0, second.stderr)
  t.match(second.stdout, /account\s+demo@example\.com .*\(already there/)
  t.match(second.stdout, /assistant\s+Demo assistant .*\(already there/)
  t.match(second.stdout, /conversation\s+Welcome .*\(already there\)/)
  t.match(second.stdout, /the previous demo key is revoked/)
  const key2 = /API key\s+(\S+)/.exec(second.stdout)?.[1]
  const conversationId = /conversation\s+Welcome (\S+)/.exec(second.stdout)?.[1]
  t.not(key2, key1, 'a new key each run')
  t.equal(conversationId, /conversation\s+Welcome (\S+)/.exec(first.stdout)?.[1], 'the same conversation')

  // The rows: one of each, however many runs.
  const database = openDatabase(join(dataDir, 'app.db'))
  try {
    const { db } = database
    const people = db.select().from(users).all()
    t.same(
      people.map((u) => [u.email, u.role]),
      [['demo@example.com', 'admin']],
      'one account'
    )
    const made = db.select().from(assistants).where(eq(assistants.name, 'Demo assistant')).all()
    t.equal(made.length, 1, 'one assistant')
    t.same(made[0]!.tools, ['calculator', 'current_time'], 'with tools')
    t.equal(db.select().from(conversations).all().length, 1, 'one conversation')
    const liveKeys = db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, people[0]!.id), isNull(apiKeys.revokedAt)))
      .all()
    t.equal(liveKeys.length, 1, 'one live key: the earlier one is revoked')
  } finally {
    database.close()
  }

  // The printed key and curl example work against that database.
  const app = await buildApp({ config: testConfig({ dataDir, databaseUrl: join(dataDir, 'app.db') }) })
  t.teardown(() => app.close())
  await app.ready()
  const body = /-d '(\{.*\})'/.exec(second.stdout)?.[1]
  t.ok(body, 'the curl example has a body')
  const old = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${key1}` } })
  t.equal(old.statusCode, 401, "the first run's key is revoked")
  const auth = { authorization: `Bearer ${key2}` }
  const sent = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conversationId}/messages`,
    headers: { ...auth, 'content-type': 'application/json' },
    payload: body
  })
  t.equal(sent.statusCode, 201, sent.body)
  let reply: { content: string } | undefined
  for (let i = 0; i < 200 && !reply; i++) {
    const page = await app.inject({ method: 'GET', url: `/api/v1/conversations/${conversationId}/messages`, headers: auth })
    reply = (page.json().items as { role: string; status: string; content: string }[]).find((m) => m.role === 'assistant' && m.status === 'completed')
    if (!reply) await new Promise((r) => setTimeout(r, 50))
  }
  t.match(reply?.content, /42/, 'the assistant answers with its calculator')
})

t.test('npm run seed will not put the demo password on a production server', async (t) => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'seed-')), 'data')
  const run = await runSeed({ DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })
  t.equal(run.code, 1)
  t.match(run.stderr, /SEED_PASSWORD/)
})
