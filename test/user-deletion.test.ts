import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../src/db/index.js'
import { build, signUp } from './helper.js'

t.test('deleting a user keeps the conversations other people took part in', async (t) => {
  const app = await build(t)
  const admin = await signUp(app)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const conv = (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: body })
  const shared = (await conv({ participant_ids: [bob.id], title: 'with bob' })).json()
  const alone = (await conv({ participant_ids: [], title: 'notes' })).json()
  for (const [who, text] of [
    [ada, 'hi bob'],
    [bob, 'hi ada']
  ] as const) {
    const sent = await app.inject({ method: 'POST', url: `/api/v1/conversations/${shared.id}/messages`, headers: who.auth, payload: { content: text } })
    t.equal(sent.statusCode, 201)
  }

  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${ada.id}`, headers: admin.auth })).statusCode, 204)

  const kept = await app.inject({ method: 'GET', url: `/api/v1/conversations/${shared.id}`, headers: bob.auth })
  t.equal(kept.statusCode, 200, 'the conversation bob took part in stays')
  t.equal(kept.json().creator_id, null, 'its creator shows as deleted')
  const history = await app.inject({ method: 'GET', url: `/api/v1/conversations/${shared.id}/messages`, headers: bob.auth })
  t.match(
    history.json().items,
    [
      { seq: 1, content: 'hi bob', sender_id: null },
      { seq: 2, content: 'hi ada', sender_id: bob.id }
    ],
    'every message stays; the deleted user’s have no sender'
  )
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/conversations/${alone.id}`, headers: admin.auth })).statusCode, 404, 'what was hers alone is gone')
})

t.test('a migration that rebuilds the conversations table keeps every row that refers to it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'app.db')
  const first = openDatabase(file)
  first.sqlite.exec(`INSERT INTO users (id, email, email_normalized, created_at, updated_at) VALUES ('u1', 'a@example.com', 'a@example.com', 't', 't');
    INSERT INTO conversations (id, creator_id, created_at, updated_at) VALUES ('c1', 'u1', 't', 't');
    INSERT INTO conversation_participants (conversation_id, user_id, joined_at) VALUES ('c1', 'u1', 't');
    INSERT INTO messages (id, conversation_id, seq, sender_id, role, content, created_at, updated_at) VALUES ('m1', 'c1', 1, 'u1', 'user', 'hello', 't', 't');`)
  // As if the newest migration (the rebuild of conversations) had not run yet.
  first.sqlite.exec('DELETE FROM __drizzle_migrations WHERE id = (SELECT max(id) FROM __drizzle_migrations)')
  first.close()
  const migrated = openDatabase(file)
  t.teardown(() => migrated.close())
  const count = (table: string) => (migrated.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
  t.equal(count('messages'), 1, 'messages survive the table rebuild')
  t.equal(count('conversation_participants'), 1, 'participants survive')
  t.equal(migrated.sqlite.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are on again')
  migrated.sqlite.exec("DELETE FROM users WHERE id = 'u1'")
  t.same(migrated.sqlite.prepare("SELECT creator_id FROM conversations WHERE id = 'c1'").get(), { creator_id: null }, 'the creator is set null')
})
