import { and, asc, eq, gt, lt, lte, sql } from 'drizzle-orm'
import type { Tx } from '../db/index.js'
import { prepared } from '../db/prepared.js'
import { conversationEvents, conversations } from '../db/schema.js'
import { nowIso } from './clock.js'
import type { DomainEvent, MessageRecord } from './events.js'

/** The domain events that take a place in their conversation's event sequence. */
export type SequencedEvent = Extract<DomainEvent, { eventSeq?: number }>

const SEQUENCED = new Set<DomainEvent['type']>([
  'conversation.created',
  'conversation.updated',
  'conversation.read',
  'message.created',
  'message.updated',
  'message.deleted',
  'message.completed',
  'assistant.status_changed',
  'assistant.error'
])

/**
 * How many of a conversation's newest events are kept for replay. Older ones are pruned (a
 * hundred at a time); a client that missed more is told to reload instead.
 */
export const CONVERSATION_EVENTS_KEPT = 1000
const PRUNE_EVERY = 100

// Every conversation event takes these two statements, prepared once per connection.
const nextEventSeq = (db: Tx) =>
  db
    .update(conversations)
    .set({ lastEventSeq: sql`${conversations.lastEventSeq} + 1` })
    .where(eq(conversations.id, sql.placeholder('id')))
    .returning({ eventSeq: conversations.lastEventSeq, lastSeq: conversations.lastSeq })
    .prepare()
const insertEvent = (db: Tx) =>
  db
    .insert(conversationEvents)
    .values({
      conversationId: sql.placeholder('conversationId'),
      eventSeq: sql.placeholder('eventSeq'),
      type: sql.placeholder('type'),
      messageId: sql.placeholder('messageId'),
      seq: sql.placeholder('seq'),
      // The JSON text as it is (a placeholder of a JSON column would encode it again).
      payload: sql`${sql.placeholder('payload')}`,
      createdAt: sql.placeholder('createdAt')
    })
    .prepare()

export function isSequenced(e: DomainEvent): e is SequencedEvent {
  return SEQUENCED.has(e.type)
}

function conversationIdOf(e: SequencedEvent): string {
  return e.type === 'conversation.created' || e.type === 'conversation.updated' ? e.conversation.id : e.conversationId
}

function messageOf(e: SequencedEvent): MessageRecord | undefined {
  switch (e.type) {
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
    case 'message.completed':
      return e.message
    default:
      return undefined
  }
}

/**
 * In the transaction of a unit of work: gives a conversation event the next event sequence of its
 * conversation, stores it for replay, and returns it with `eventSeq` set. A deletion also removes
 * the deleted message's content from the stored events before it. Any other event, or one whose
 * conversation is gone, is returned as it is.
 */
export function recordConversationEvent(tx: Tx, event: DomainEvent): DomainEvent {
  if (!isSequenced(event)) return event
  const conversationId = conversationIdOf(event)
  const bumped = prepared(tx, nextEventSeq).get({ id: conversationId })
  if (!bumped) return event
  const { eventSeq } = bumped
  const message = messageOf(event)
  const { audience: _audience, eventSeq: _unset, ...payload } = event
  prepared(tx, insertEvent).run({
    conversationId,
    eventSeq,
    type: event.type,
    messageId: message?.id ?? null,
    seq: message ? message.seq : bumped.lastSeq,
    payload: JSON.stringify(payload),
    createdAt: nowIso()
  })
  if (event.type === 'message.deleted') {
    tx.update(conversationEvents)
      .set({ payload: sql`json_set(${conversationEvents.payload}, '$.message', json(${JSON.stringify(event.message)}))` })
      .where(
        and(
          eq(conversationEvents.conversationId, conversationId),
          eq(conversationEvents.messageId, event.message.id),
          lt(conversationEvents.eventSeq, eventSeq)
        )
      )
      .run()
  }
  if (eventSeq % PRUNE_EVERY === 0) {
    tx.delete(conversationEvents)
      .where(and(eq(conversationEvents.conversationId, conversationId), lte(conversationEvents.eventSeq, eventSeq - CONVERSATION_EVENTS_KEPT)))
      .run()
  }
  return { ...event, eventSeq }
}

/** A stored conversation event, as a replay hands it out. */
export interface StoredConversationEvent {
  eventSeq: number
  /** The message's seq for a message event; the conversation's last seq when it happened for the others. */
  seq: number
  /** The event as it was published (with `eventSeq`); its audience is not kept, so it is empty. */
  event: SequencedEvent
}

export interface EventReplay {
  /** The events after the one asked for, oldest first; empty when `complete` is false. */
  events: StoredConversationEvent[]
  /** false when more events than the limit were missed, or the oldest of them are no longer kept. */
  complete: boolean
  /** The conversation's newest event sequence. */
  lastEventSeq: number
}

/**
 * The events of a conversation after `afterEventSeq`, in order: all of them, or none when more
 * than `limit` were missed or some are no longer kept (the caller then reloads the conversation).
 */
export function conversationEventsAfter(tx: Tx, conversationId: string, afterEventSeq: number, limit: number): EventReplay {
  const lastEventSeq = tx.select({ s: conversations.lastEventSeq }).from(conversations).where(eq(conversations.id, conversationId)).get()?.s ?? 0
  const missed = lastEventSeq - afterEventSeq
  if (missed <= 0) return { events: [], complete: true, lastEventSeq }
  if (missed > limit) return { events: [], complete: false, lastEventSeq }
  const rows = tx
    .select()
    .from(conversationEvents)
    .where(and(eq(conversationEvents.conversationId, conversationId), gt(conversationEvents.eventSeq, afterEventSeq)))
    .orderBy(asc(conversationEvents.eventSeq))
    .all()
  // Every number is used once, so exactly `missed` rows unless the oldest were pruned.
  if (rows.length !== missed) return { events: [], complete: false, lastEventSeq }
  return {
    events: rows.map((r) => ({
      eventSeq: r.eventSeq,
      seq: r.seq,
      event: { ...r.payload, audience: [], eventSeq: r.eventSeq } as unknown as SequencedEvent
    })),
    complete: true,
    lastEventSeq
  }
}
