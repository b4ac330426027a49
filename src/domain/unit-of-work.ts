import type { Db, Tx } from '../db/index.js'
import { recordConversationEvent } from './conversation-events.js'
import type { DomainEvent, EventBus, Outbox } from './events.js'

/** What the callback of a unit of work writes with. Valid only while the callback runs. */
export interface Work {
  /** The transaction every read and write of the unit goes through. */
  readonly tx: Tx
  /**
   * Records the event's durable side effects in this transaction: a conversation event takes the
   * next number of its conversation's event sequence and is kept for replay, and the outbox writes
   * its webhook deliveries (when someone subscribed to it). Queues the event, with its `eventSeq`,
   * to be published after the commit. Returns the event sequence it was given, if any.
   */
  emit(event: DomainEvent): number | undefined
  /** Queues work for after the commit (removing blobs no row uses any more). Never runs if the unit rolls back. */
  afterCommit(fn: () => void): void
}

export interface UnitOfWorkDeps {
  db: Db
  events: EventBus
  outbox: Outbox
  /**
   * Where after-commit work that throws is reported: the change is committed by then, so the
   * caller is not failed. Without it, the first such error is thrown to the caller once every
   * queued step has run, so none is lost.
   */
  log?: { error(obj: unknown, msg?: string): void }
  /**
   * Called after a commit whose events wrote webhook deliveries, so that whoever sends them (the
   * dispatcher) looks for them now rather than at its next poll. Units that wrote none do not call
   * it: most events have no subscriber, and a look costs a transaction.
   */
  onDeliveries?(): void
}

/** A running unit: its transaction and what it queued for after the commit, in order. */
class Unit implements Work {
  private readonly steps: (() => void)[] = []
  private open = true
  private deliveriesWritten = false

  constructor(
    readonly tx: Tx,
    private readonly outbox: Outbox,
    private readonly events: EventBus,
    private readonly onDeliveries: (() => void) | undefined
  ) {}

  emit(event: DomainEvent): number | undefined {
    this.ensureOpen()
    const recorded = recordConversationEvent(this.tx, event)
    if (this.outbox.record(this.tx, recorded) > 0 && this.onDeliveries && !this.deliveriesWritten) {
      this.deliveriesWritten = true
      this.steps.push(this.onDeliveries)
    }
    this.steps.push(() => this.events.publish(recorded))
    return 'eventSeq' in recorded ? recorded.eventSeq : undefined
  }

  afterCommit(fn: () => void): void {
    this.ensureOpen()
    this.steps.push(fn)
  }

  /** Once the callback has returned or thrown, nothing more can join the unit. */
  close(): void {
    this.open = false
  }

  /** Runs what was queued, in order. A step that throws does not stop the ones after it. */
  settle(): unknown[] {
    const errors: unknown[] = []
    for (const step of this.steps) {
      try {
        step()
      } catch (err) {
        errors.push(err)
      }
    }
    return errors
  }

  private ensureOpen(): void {
    if (!this.open) throw new Error('This unit of work is over: emit and afterCommit only inside its callback')
  }
}

/** Whether the connection under `db` is in a transaction. */
export function inTransaction(db: Db): boolean {
  return db.$client.inTransaction
}

function notAPromise<T>(value: T): T {
  if (value && typeof (value as { then?: unknown }).then === 'function') {
    throw new TypeError('A unit of work is synchronous (better-sqlite3 transactions are): its callback must not return a promise')
  }
  return value
}

/**
 * The one way services write and publish. `run` opens a transaction and hands the callback a
 * `Work`: writes go through `w.tx`, domain events through `w.emit` (a conversation event's number
 * in its conversation's event sequence, and its webhook deliveries by the outbox, are written in
 * the same transaction), follow-up work through `w.afterCommit`. Only
 * when the transaction commits are the events published and the follow-up work run, in the order
 * they were queued; when the callback throws, the transaction rolls back, nothing is published,
 * nothing runs, and the error propagates.
 *
 * A `run` inside a running unit (a service calling another within the same change) joins it:
 * same transaction, and what it queues goes out with the outer unit's, after the outer commit.
 * There is no partial rollback: an error a nested run throws rolls everything back unless the
 * outer callback catches it, in which case the nested writes and events stay together.
 *
 * Listeners run after the commit and outside the unit; one that throws is the bus's to report
 * (InProcessEventBus catches it), never the caller's. A step after the commit that throws anyway
 * does not stop the steps after it (see `log` in UnitOfWorkDeps).
 */
export class UnitOfWork {
  private current: Unit | undefined
  /**
   * better-sqlite3's own transaction around a callback, made once: BEGIN, the callback, COMMIT (or
   * ROLLBACK when it throws), as drizzle's `db.transaction` does, without the transaction object
   * and wrapper drizzle builds on every call. The unit's `tx` is the database handle itself: one
   * synchronous connection, so every statement the callback runs is inside this transaction.
   */
  private readonly transaction: <T>(fn: () => T) => T

  constructor(private readonly deps: UnitOfWorkDeps) {
    this.transaction = deps.db.$client.transaction((fn: () => unknown) => fn()) as <T>(fn: () => T) => T
  }

  /** Runs `fn` in a unit of work (joining the running one, if any); returns what it returns. */
  run<T>(fn: (w: Work) => T): T {
    if (this.current) return notAPromise(fn(this.current))
    // Inside a transaction the unit does not own, "after the commit" would come before the commit.
    if (inTransaction(this.deps.db)) throw new Error('A unit of work cannot start inside a transaction opened without it')
    let unit: Unit | undefined
    const result = this.transaction(() => {
      unit = new Unit(this.deps.db, this.deps.outbox, this.deps.events, this.deps.onDeliveries)
      this.current = unit
      try {
        return notAPromise(fn(unit))
      } finally {
        this.current = undefined
        unit.close()
      }
    })
    // Committed: the listeners and the follow-up work see the data.
    const errors = unit!.settle()
    if (errors.length) {
      const { log } = this.deps
      if (!log) throw errors[0]
      for (const err of errors) log.error({ err }, 'work after a commit failed')
    }
    return result
  }

  /**
   * Publishes an event that no write goes with (a streamed chunk of a reply, a failure notice),
   * through the outbox like any other: `run` with nothing but the event. Inside a running unit it
   * joins it, and goes out after that unit's commit.
   */
  publishNow(event: DomainEvent): void {
    this.run((w) => w.emit(event))
  }
}
