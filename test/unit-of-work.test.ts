import { eq } from 'drizzle-orm'
import t from 'tap'
import { openDatabase } from '../src/db/index.js'
import { conversations, files, messages, users, webhookDeliveries, webhooks } from '../src/db/schema.js'
import { newId, nowIso } from '../src/domain/clock.js'
import { ConversationService } from '../src/domain/conversations.js'
import type { DomainEvent, Outbox } from '../src/domain/events.js'
import { type BlobStore, FileService, noBlobStore } from '../src/domain/files.js'
import { createServices } from '../src/domain/index.js'
import type { Principal } from '../src/domain/principal.js'
import { userRecord } from '../src/domain/users.js'
import { WorkspaceService } from '../src/domain/workspaces.js'
import { UnitOfWork, type Work } from '../src/domain/unit-of-work.js'
import { WebhookOutbox } from '../src/domain/webhooks.js'
import { InProcessEventBus } from '../src/realtime/bus.js'
import { v1RecordPresenters } from '../src/http/v1/presenters.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/**
 * A unit of work on a fresh in-memory database with the migrations applied, the real outbox and
 * bus, one user, and a webhook of theirs subscribed to `user.updated`. `seen` is what a listener
 * heard, with whether the database was still in a transaction when it heard it.
 */
function setup(t: Teardown) {
  const database = openDatabase(':memory:')
  t.teardown(() => database.close())
  const { db, sqlite } = database
  const events = new InProcessEventBus((err) => {
    throw err
  })
  const uow = new UnitOfWork({ db, events, outbox: new WebhookOutbox(v1RecordPresenters) })
  const now = nowIso()
  const user = db
    .insert(users)
    .values({ id: newId(), email: 'a@example.com', emailNormalized: 'a@example.com', fullName: 'Before', createdAt: now, updatedAt: now })
    .returning()
    .get()
  db.insert(webhooks)
    .values({ id: newId(), ownerId: user.id, url: 'https://example.com/hook', events: ['user.updated'], secret: 'whsec_x', createdAt: now, updatedAt: now })
    .run()
  const seen: { type: string; inTransaction: boolean; fullName: string | null | undefined }[] = []
  events.subscribe((e) => {
    seen.push({ type: e.type, inTransaction: sqlite.inTransaction, fullName: db.select().from(users).where(eq(users.id, user.id)).get()?.fullName })
  })
  /** Renames the user in the unit's transaction and emits `user.updated`. */
  const rename = (tx: Work['tx'], fullName: string): DomainEvent => {
    const row = tx.update(users).set({ fullName }).where(eq(users.id, user.id)).returning().get()
    return { type: 'user.updated', userId: row.id, user: userRecord(row) }
  }
  const fullName = () => db.select().from(users).where(eq(users.id, user.id)).get()?.fullName
  const deliveries = () => db.select().from(webhookDeliveries).all()
  return { db, sqlite, events, uow, user, seen, rename, fullName, deliveries }
}

t.test('a unit that throws publishes nothing, writes no outbox row and runs no after-commit work', async (t) => {
  const { uow, seen, rename, fullName, deliveries } = setup(t)
  const after: string[] = []
  t.throws(
    () =>
      uow.run((w) => {
        w.emit(rename(w.tx, 'Rolled back'))
        w.afterCommit(() => after.push('ran'))
        t.equal(deliveries().length, 1, 'the outbox row is written in the transaction')
        throw new Error('boom')
      }),
    { message: 'boom' },
    'the error propagates'
  )
  t.equal(fullName(), 'Before', 'the write is rolled back')
  t.same(deliveries(), [], 'and the outbox row with it')
  t.same(seen, [], 'nothing is published')
  t.same(after, [], 'no after-commit work runs')
})

t.test('a committed unit publishes after the commit, in order, and writes the outbox row of a webhook event', async (t) => {
  const { uow, user, seen, rename, fullName, deliveries } = setup(t)
  const order: string[] = []
  const readEvent: DomainEvent = { type: 'conversation.read', conversationId: newId(), userId: user.id, lastReadSeq: 1, audience: [user.id] }
  const result = uow.run((w) => {
    w.emit(rename(w.tx, 'After'))
    w.afterCommit(() => order.push(`after-commit (heard ${seen.length})`))
    w.emit(readEvent)
    t.same(seen, [], 'nothing is published while the transaction is open')
    return 42
  })
  t.equal(result, 42, 'run returns what its callback returns')
  t.equal(fullName(), 'After')
  t.same(seen, [
    { type: 'user.updated', inTransaction: false, fullName: 'After' },
    { type: 'conversation.read', inTransaction: false, fullName: 'After' }
  ])
  t.same(order, ['after-commit (heard 1)'], 'after-commit work runs after the commit, in order with the events')
  const rows = deliveries()
  t.equal(rows.length, 1, 'one outbox row: the webhook subscribed to user.updated; conversation.read is no webhook event')
  t.match(rows[0], { event: 'user.updated', status: 'pending', payload: { event: 'user.updated', data: { user: { full_name: 'After' } } } })
})

t.test('a nested run joins the outer unit: one transaction, rolled back together, published together', async (t) => {
  const { uow, sqlite, seen, rename, fullName, deliveries } = setup(t)
  const after: string[] = []
  t.throws(() =>
    uow.run((outer) => {
      outer.emit(rename(outer.tx, 'Outer'))
      uow.run((inner) => {
        t.equal(inner.tx, outer.tx, 'the nested run works in the outer transaction')
        inner.emit(rename(inner.tx, 'Inner'))
        inner.afterCommit(() => after.push('inner'))
      })
      t.ok(sqlite.inTransaction, 'the nested run did not commit')
      t.same(seen, [], 'nor publish')
      throw new Error('outer fails')
    })
  )
  t.equal(fullName(), 'Before', "the nested run's write is rolled back with the outer's")
  t.same(deliveries(), [], 'and both outbox rows')
  t.same(seen, [])
  t.same(after, [])

  uow.run((outer) => {
    outer.emit(rename(outer.tx, 'Outer'))
    uow.run((inner) => {
      inner.emit(rename(inner.tx, 'Inner'))
      inner.afterCommit(() => after.push(`inner after-commit (heard ${seen.length})`))
    })
    outer.afterCommit(() => after.push(`outer after-commit (heard ${seen.length})`))
    t.same(seen, [])
  })
  t.same(
    seen.map((s) => s.inTransaction),
    [false, false],
    'both events go out after the one commit'
  )
  t.same(after, ['inner after-commit (heard 2)', 'outer after-commit (heard 2)'], 'in the order they were queued')
  t.equal(deliveries().length, 2)
})

t.test('publishNow goes through the outbox; a unit is synchronous and closed once its callback returns', async (t) => {
  const { db, uow, user, seen, rename, fullName, deliveries } = setup(t)
  const row = db.select().from(users).where(eq(users.id, user.id)).get()!
  uow.publishNow({ type: 'user.updated', userId: user.id, user: userRecord(row) })
  t.equal(seen.length, 1)
  t.equal(deliveries().length, 1, 'a webhook event published without a write still gets its outbox row')

  t.throws(() => uow.run(async (w) => rename(w.tx, 'Async')), TypeError, 'an async callback is refused')
  t.equal(fullName(), 'Before', 'and what it wrote is rolled back')
  let escaped: Work | undefined
  uow.run((w) => {
    escaped = w
  })
  t.throws(() => escaped!.afterCommit(() => {}), /over/, 'a unit cannot be used after its callback')
  t.throws(() => db.transaction(() => uow.run(() => undefined)), /inside a transaction/, 'nor started inside a transaction it does not own')
})

t.test('a listener or after-commit work that throws does not fail the committed caller', async (t) => {
  const database = openDatabase(':memory:')
  t.teardown(() => database.close())
  const reported: unknown[] = []
  const events = new InProcessEventBus((err) => reported.push(err))
  events.subscribe(() => {
    throw new Error('listener')
  })
  const heard: string[] = []
  events.subscribe((e) => heard.push(e.type))
  const logged: unknown[] = []
  const uow = new UnitOfWork({ db: database.db, events, outbox: new WebhookOutbox(v1RecordPresenters), log: { error: (obj) => logged.push(obj) } })
  const readEvent: DomainEvent = { type: 'conversation.read', conversationId: newId(), userId: newId(), lastReadSeq: 1, audience: [] }
  const ran: string[] = []
  const result = uow.run((w) => {
    w.emit(readEvent)
    w.afterCommit(() => {
      throw new Error('after-commit')
    })
    w.afterCommit(() => ran.push('next'))
    return 'done'
  })
  t.equal(result, 'done')
  t.equal(reported.length, 1, 'the bus reports the listener that threw')
  t.same(heard, ['conversation.read'], 'the other listeners still hear the event')
  t.same(ran, ['next'], 'the work after a failed step still runs')
  t.match(logged, [{ err: { message: 'after-commit' } }], 'and the failure is logged')

  const unlogged = new UnitOfWork({ db: database.db, events, outbox: new WebhookOutbox(v1RecordPresenters) })
  const late: string[] = []
  t.throws(
    () =>
      unlogged.run((w) => {
        w.afterCommit(() => {
          throw new Error('nobody to tell')
        })
        w.afterCommit(() => late.push('ran'))
      }),
    { message: 'nobody to tell' },
    'without a log the failure reaches the caller, once every step has run'
  )
  t.same(late, ['ran'])
})

// ---- the services on it ------------------------------------------------------------------

/**
 * The domain services (no HTTP app) on a fresh in-memory database. The outbox is the real one,
 * wrapped to note what it was asked to record and to fail on `failOn`; the blob store notes what
 * it was asked to remove and whether a transaction was open then.
 */
function services(t: Teardown) {
  const database = openDatabase(':memory:')
  t.teardown(() => database.close())
  const { db, sqlite } = database
  const events = new InProcessEventBus((err) => {
    throw err
  })
  const heard: { type: string; inTransaction: boolean }[] = []
  events.subscribe((e) => heard.push({ type: e.type, inTransaction: sqlite.inTransaction }))
  const recorded: string[] = []
  const control: { failOn?: DomainEvent['type'] } = {}
  const real = new WebhookOutbox(v1RecordPresenters)
  const outbox: Outbox = {
    record(tx, e) {
      if (e.type === control.failOn) throw new Error(`outbox refuses ${e.type}`)
      recorded.push(e.type)
      return real.record(tx, e)
    }
  }
  const removed: { sha: string; inTransaction: boolean }[] = []
  const blobs: BlobStore = { ...noBlobStore, has: () => true, remove: (sha) => removed.push({ sha, inTransaction: sqlite.inTransaction }) }
  const core = createServices({ db, events, outbox, blobs, version: 'test', signer: { sign: () => 'token', verify: () => ({}) } })
  const now = nowIso()
  const person = (email: string, role: 'admin' | 'user' = 'user'): Principal => {
    const id = newId()
    db.insert(users).values({ id, email, emailNormalized: email, role, createdAt: now, updatedAt: now }).run()
    return { userId: id, role, via: 'access_token' }
  }
  const hook = (ownerId: string, subscribed: string[]) =>
    db
      .insert(webhooks)
      .values({ id: newId(), ownerId, url: 'https://example.com/hook', events: subscribed, secret: 'whsec_x', createdAt: now, updatedAt: now })
      .run()
  const deliveries = () => db.select({ event: webhookDeliveries.event }).from(webhookDeliveries).all()
  return { db, sqlite, events, core, heard, recorded, control, removed, person, hook, deliveries }
}

t.test('a service publishes after its commit, in order, with the outbox rows of its webhook events; markRead too', async (t) => {
  const { core, heard, recorded, person, hook, deliveries } = services(t)
  const alice = person('alice@example.com')
  const bob = person('bob@example.com')
  hook(alice.userId, ['conversation.created', 'message.received'])
  const { detail } = core.conversations.create(alice, { title: 'Hi', participant_ids: [bob.userId], initial_message: 'hello' })
  t.same(heard, [
    { type: 'conversation.created', inTransaction: false },
    { type: 'message.created', inTransaction: false }
  ])
  t.same(
    deliveries().map((d) => d.event),
    ['conversation.created', 'message.received'],
    'written in the same transaction'
  )

  heard.length = 0
  recorded.length = 0
  t.same(core.conversations.markRead(bob, detail.id, 1), { last_read_seq: 1, unread_count: 0 })
  t.same(recorded, ['conversation.read'], 'markRead goes through the outbox like every event (which writes nothing for it: no webhook event)')
  t.same(heard, [{ type: 'conversation.read', inTransaction: false }])
  t.equal(deliveries().length, 2)
})

t.test('the webhook sender is told once per commit that wrote deliveries, never after one that wrote none', async (t) => {
  const { core, control, person, hook, deliveries } = services(t)
  let told = 0
  core.webhooks.onEnqueue(() => {
    told++
    t.ok(deliveries().length > 0, 'told after the rows are committed')
  })
  const alice = person('alice@example.com')
  const quiet = core.conversations.create(alice, { title: 'No webhook hears this' }).detail
  core.conversations.send(alice, quiet.id, { content: 'hello' })
  t.equal(told, 0, 'no subscribed webhook: no delivery written, the sender is not woken')

  hook(alice.userId, ['conversation.created', 'message.received'])
  core.conversations.create(alice, { title: 'Heard', initial_message: 'hello' })
  t.equal(deliveries().length, 2)
  t.equal(told, 1, 'two deliveries in one commit: told once')

  control.failOn = 'message.created'
  t.throws(() => core.conversations.send(alice, quiet.id, { content: 'rolled back' }))
  t.equal(told, 1, 'a unit that rolled back tells nobody')
})

t.test('a service whose unit fails publishes nothing and leaves no outbox row', async (t) => {
  const { db, core, heard, control, person, hook, deliveries } = services(t)
  const alice = person('alice@example.com')
  hook(alice.userId, ['conversation.created', 'message.received'])
  control.failOn = 'message.created' // after conversation.created was recorded in the same unit
  t.throws(() => core.conversations.create(alice, { title: 'Lost', initial_message: 'hello' }), { message: 'outbox refuses message.created' })
  t.same(db.select().from(conversations).all(), [], 'no conversation')
  t.same(deliveries(), [], "conversation.created's outbox row is rolled back")
  t.same(heard, [], 'nothing is published')
})

t.test('blobs are swept after the commit that removed their rows, never after a rollback', async (t) => {
  const { db, core, heard, control, removed, person } = services(t)
  const alice = person('alice@example.com')
  const fileIn = (conversationId: string, sha: string) =>
    db
      .insert(files)
      .values({
        id: newId(),
        ownerId: alice.userId,
        conversationId,
        filename: 'a.txt',
        contentType: 'text/plain',
        kind: 'document',
        size: 1,
        sha256: sha,
        createdAt: nowIso()
      })
      .run()
  const kept = core.conversations.create(alice, { title: 'Kept' }).detail.id
  fileIn(kept, 'sha-kept')
  control.failOn = 'conversation.deleted'
  heard.length = 0
  t.throws(() => core.conversations.delete(alice, kept))
  t.same(removed, [], 'a rolled-back deletion removes no blob')
  t.equal(db.select().from(files).all().length, 1)

  control.failOn = undefined
  core.conversations.delete(alice, kept)
  t.same(removed, [{ sha: 'sha-kept', inTransaction: false }], 'removed once the deletion committed')
  t.same(heard, [{ type: 'conversation.deleted', inTransaction: false }])
})

t.test('a service called inside a running unit joins it', async (t) => {
  const database = openDatabase(':memory:')
  t.teardown(() => database.close())
  const { db, sqlite } = database
  const events = new InProcessEventBus((err) => {
    throw err
  })
  const heard: { type: string; inTransaction: boolean }[] = []
  events.subscribe((e) => heard.push({ type: e.type, inTransaction: sqlite.inTransaction }))
  // The services share the unit of work the test runs its own units in (createServices keeps its own).
  const uow = new UnitOfWork({ db, events, outbox: new WebhookOutbox(v1RecordPresenters) })
  const fileService = new FileService(db, uow, noBlobStore)
  const convs = new ConversationService(db, uow, new WorkspaceService(db, uow, fileService), fileService)
  const now = nowIso()
  const alice: Principal = { userId: newId(), role: 'user', via: 'access_token' }
  db.insert(users).values({ id: alice.userId, email: 'a@example.com', emailNormalized: 'a@example.com', createdAt: now, updatedAt: now }).run()
  const c = convs.create(alice, { title: 'Nested' }).detail
  heard.length = 0
  const stored = () => db.select().from(messages).where(eq(messages.conversationId, c.id)).all().length

  t.throws(() =>
    uow.run(() => {
      convs.appendMessage(c.id, { role: 'assistant', content: 'one' })
      convs.publishAssistantStatus(c.id, null, 'idle')
      t.ok(sqlite.inTransaction, 'the services did not commit on their own')
      throw new Error('the outer unit fails')
    })
  )
  t.equal(stored(), 0, "the services' writes are rolled back with the outer unit")
  t.same(heard, [], 'and nothing they emitted is published')

  uow.run(() => {
    convs.appendMessage(c.id, { role: 'assistant', content: 'one' })
    convs.appendMessage(c.id, { role: 'assistant', content: 'two' })
    t.same(heard, [])
  })
  t.equal(stored(), 2)
  t.same(
    heard,
    [
      { type: 'message.created', inTransaction: false },
      { type: 'message.created', inTransaction: false }
    ],
    'published once the outer unit committed, in order'
  )
})
