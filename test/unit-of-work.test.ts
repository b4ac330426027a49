import { eq } from 'drizzle-orm'
import t from 'tap'
import { openDatabase } from '../src/db/index.js'
import { users, webhookDeliveries, webhooks } from '../src/db/schema.js'
import { newId, nowIso } from '../src/domain/clock.js'
import type { DomainEvent } from '../src/domain/events.js'
import { userView } from '../src/domain/users.js'
import { UnitOfWork, type Work } from '../src/domain/unit-of-work.js'
import { WebhookOutbox } from '../src/domain/webhooks.js'
import { InProcessEventBus } from '../src/realtime/bus.js'

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
  const uow = new UnitOfWork({ db, events, outbox: new WebhookOutbox() })
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
    return { type: 'user.updated', userId: row.id, user: userView(row) }
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
  uow.publishNow({ type: 'user.updated', userId: user.id, user: userView(row) })
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
  const uow = new UnitOfWork({ db: database.db, events, outbox: new WebhookOutbox(), log: { error: (obj) => logged.push(obj) } })
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

  const unlogged = new UnitOfWork({ db: database.db, events, outbox: new WebhookOutbox() })
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
