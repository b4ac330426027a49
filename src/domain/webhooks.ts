import { randomBytes } from 'node:crypto'
import { and, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/index.js'
import { prepared } from '../db/prepared.js'
import { users, webhookDeliveries, webhooks } from '../db/schema.js'
import { AddressNotAllowedError, assertPublicAddress } from '../net/address-guard.js'
import { conversationAssistant } from './access.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import type { DomainEvent, Outbox, RecordPresenters } from './events.js'
import { type Page, type PageQuery, pageWindow, toPage } from './pagination.js'
import type { Principal } from './principal.js'

/** The events a webhook can subscribe to. */
export const WEBHOOK_EVENTS = [
  'conversation.created',
  'conversation.updated',
  'message.received',
  'assistant.status_changed',
  'user.created',
  'user.updated'
] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]
/** The event of a test ping: delivered only to the webhook it was asked for. */
export const TEST_EVENT = 'webhook.test'

/** What a delivery POSTs. */
export interface WebhookPayload {
  event: WebhookEvent | typeof TEST_EVENT
  timestamp: string
  data: Record<string, unknown>
}

type WebhookRow = typeof webhooks.$inferSelect
type DeliveryRow = typeof webhookDeliveries.$inferSelect

export interface WebhookRecord {
  id: string
  url: string
  events: WebhookEvent[]
  description: string | null
  is_active: boolean
  consecutive_failures: number
  disabled_at: string | null
  disabled_reason: string | null
  created_at: string
  updated_at: string
}

export interface CreatedWebhookRecord extends WebhookRecord {
  secret: string
}

export interface WebhookDeliveryRecord {
  id: string
  webhook_id: string
  message_id: string
  event: string
  status: 'pending' | 'succeeded' | 'failed'
  attempts: number
  next_attempt_at: string | null
  last_status_code: number | null
  last_error: string | null
  last_duration_ms: number | null
  delivered_at: string | null
  created_at: string
  updated_at: string
  payload: WebhookPayload
}

export interface CreateWebhookInput {
  url: string
  events: WebhookEvent[]
  secret?: string
  description?: string | null
  is_active?: boolean
}

export type UpdateWebhookInput = Partial<CreateWebhookInput>

export interface ListDeliveriesQuery extends PageQuery {
  status?: 'pending' | 'succeeded' | 'failed'
}

function webhookRecord(w: WebhookRow): WebhookRecord {
  return {
    id: w.id,
    url: w.url,
    events: w.events as WebhookEvent[],
    description: w.description,
    is_active: w.isActive,
    consecutive_failures: w.consecutiveFailures,
    disabled_at: w.disabledAt,
    disabled_reason: w.disabledReason,
    created_at: w.createdAt,
    updated_at: w.updatedAt
  }
}

export function deliveryRecord(d: DeliveryRow): WebhookDeliveryRecord {
  return {
    id: d.id,
    webhook_id: d.webhookId,
    message_id: d.messageId,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? d.nextAttemptAt : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    last_duration_ms: d.lastDurationMs,
    delivered_at: d.deliveredAt,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    payload: d.payload as WebhookPayload
  }
}

/** A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/** The outbox row of one delivery, not yet inserted. */
function deliveryRow(webhookId: string, payload: WebhookPayload, messageId = `msg_${newId()}`) {
  const now = nowIso()
  return {
    id: newId(),
    webhookId,
    messageId,
    event: payload.event,
    payload,
    status: 'pending' as const,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now
  }
}

/**
 * Webhooks of a user: CRUD (owner-scoped: another user's webhook is "not found"), the delivery
 * log, redelivery and test pings. Deliveries are sent by the dispatcher (src/webhooks), which
 * listens with `onEnqueue` to be told when there is new work.
 */
export class WebhookService {
  private readonly enqueueListeners = new Set<() => void>()

  constructor(
    private readonly db: Db,
    private readonly options: { allowPrivate: boolean }
  ) {}

  /**
   * Called after deliveries were written: by a unit of work whose events wrote some (once per
   * commit), by test pings and by redeliveries.
   */
  onEnqueue(listener: () => void): () => void {
    this.enqueueListeners.add(listener)
    return () => this.enqueueListeners.delete(listener)
  }

  async create(p: Principal, input: CreateWebhookInput): Promise<CreatedWebhookRecord> {
    await this.checkUrl(input.url)
    const now = nowIso()
    const secret = input.secret ?? generateSecret()
    const row = this.db
      .insert(webhooks)
      .values({
        id: newId(),
        ownerId: p.userId,
        url: input.url,
        events: uniqueEvents(input.events),
        secret,
        description: input.description ?? null,
        isActive: input.is_active ?? true,
        createdAt: now,
        updatedAt: now
      })
      .returning()
      .get()
    return { ...webhookRecord(row), secret }
  }

  list(p: Principal, q: PageQuery): Page<WebhookRecord> {
    const w = pageWindow(q)
    const where = eq(webhooks.ownerId, p.userId)
    const rows = this.db.select().from(webhooks).where(where).orderBy(desc(webhooks.createdAt), desc(webhooks.id)).limit(w.size).offset(w.offset).all()
    const total = this.db.select({ n: count() }).from(webhooks).where(where).get()!.n
    return toPage(rows.map(webhookRecord), total, w)
  }

  get(p: Principal, id: string): WebhookRecord {
    return webhookRecord(this.require(p, id))
  }

  async update(p: Principal, id: string, input: UpdateWebhookInput): Promise<WebhookRecord> {
    const current = this.require(p, id)
    if (input.url !== undefined) await this.checkUrl(input.url)
    const patch: Partial<WebhookRow> = {}
    if (input.url !== undefined) patch.url = input.url
    if (input.events !== undefined) patch.events = uniqueEvents(input.events)
    if (input.secret !== undefined) patch.secret = input.secret
    if (input.description !== undefined) patch.description = input.description
    if (input.is_active !== undefined) {
      patch.isActive = input.is_active
      if (input.is_active && !current.isActive) Object.assign(patch, { consecutiveFailures: 0, disabledAt: null, disabledReason: null })
    }
    if (Object.keys(patch).length === 0) return webhookRecord(current)
    const row = this.db
      .update(webhooks)
      .set({ ...patch, updatedAt: nowIso() })
      .where(and(eq(webhooks.id, id), eq(webhooks.ownerId, p.userId)))
      .returning()
      .get()
    if (!row) throw new DomainError('WEBHOOK_NOT_FOUND', 'Webhook not found')
    if (row.isActive && !current.isActive) this.enqueued()
    return webhookRecord(row)
  }

  delete(p: Principal, id: string): void {
    const res = this.db
      .delete(webhooks)
      .where(and(eq(webhooks.id, id), eq(webhooks.ownerId, p.userId)))
      .run()
    if (res.changes === 0) throw new DomainError('WEBHOOK_NOT_FOUND', 'Webhook not found')
  }

  deliveries(p: Principal, id: string, q: ListDeliveriesQuery): Page<WebhookDeliveryRecord> {
    this.require(p, id)
    const w = pageWindow(q)
    const filters: SQL[] = [eq(webhookDeliveries.webhookId, id)]
    if (q.status) filters.push(eq(webhookDeliveries.status, q.status))
    const where = and(...filters)
    const rows = this.db
      .select()
      .from(webhookDeliveries)
      .where(where)
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(w.size)
      .offset(w.offset)
      .all()
    const total = this.db.select({ n: count() }).from(webhookDeliveries).where(where).get()!.n
    return toPage(rows.map(deliveryRecord), total, w)
  }

  /** Sends a delivery again, as a new entry of the log with the same `webhook-id` and body. */
  redeliver(p: Principal, id: string, deliveryId: string): WebhookDeliveryRecord {
    const hook = this.requireActive(p, id)
    const original = this.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.webhookId, hook.id)))
      .get()
    if (!original) throw new DomainError('WEBHOOK_DELIVERY_NOT_FOUND', 'Delivery not found')
    const row = this.db
      .insert(webhookDeliveries)
      .values(deliveryRow(hook.id, original.payload as WebhookPayload, original.messageId))
      .returning()
      .get()
    this.enqueued()
    return deliveryRecord(row)
  }

  /** Queues a `webhook.test` event for this webhook only. */
  test(p: Principal, id: string): WebhookDeliveryRecord {
    const hook = this.requireActive(p, id)
    const payload: WebhookPayload = {
      event: TEST_EVENT,
      timestamp: nowIso(),
      data: { webhook_id: hook.id, user_id: p.userId, message: 'This is a test delivery.' }
    }
    const row = this.db.insert(webhookDeliveries).values(deliveryRow(hook.id, payload)).returning().get()
    this.enqueued()
    return deliveryRecord(row)
  }

  /** Tells the `onEnqueue` listeners that deliveries were written and committed. */
  enqueued(): void {
    for (const listener of this.enqueueListeners) listener()
  }

  private require(p: Principal, id: string): WebhookRow {
    const row = this.db
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.id, id), eq(webhooks.ownerId, p.userId)))
      .get()
    if (!row) throw new DomainError('WEBHOOK_NOT_FOUND', 'Webhook not found')
    return row
  }

  private requireActive(p: Principal, id: string): WebhookRow {
    const row = this.require(p, id)
    if (!row.isActive) throw new DomainError('WEBHOOK_DISABLED', 'The webhook is disabled; enable it (is_active: true) first')
    return row
  }

  private async checkUrl(url: string): Promise<void> {
    try {
      await assertPublicAddress(url, this.options.allowPrivate)
    } catch (err) {
      if (err instanceof AddressNotAllowedError) {
        throw new DomainError('WEBHOOK_URL_NOT_ALLOWED', `The webhook URL is not allowed: ${err.message}`, [{ field: 'body.url', message: err.message }])
      }
      throw err
    }
  }
}

function uniqueEvents(events: WebhookEvent[]): WebhookEvent[] {
  return [...new Set(events)]
}

/**
 * The outbox (see `Outbox` in events.ts): inside the transaction that makes a domain event, writes
 * one pending delivery per active webhook that subscribed to it and whose owner may know of it.
 * User events go to the user's own webhooks (and a new account to every admin's too);
 * conversation events to the webhooks of the users in the event's audience. The records in a
 * payload are shown by `present`: the presenters of the surface whose webhooks these are.
 */
// The outbox runs in every unit of work that emits an event: its reads are prepared once per connection.
const activeHooksOf = (db: Tx) =>
  db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.isActive, true), inArray(webhooks.ownerId, sql`(select value from json_each(${sql.placeholder('owners')}))`)))
    .prepare()
const activeHooksOfAdmins = (db: Tx) =>
  db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.isActive, true), inArray(webhooks.ownerId, db.select({ id: users.id }).from(users).where(eq(users.role, 'admin')))))
    .prepare()

export class WebhookOutbox implements Outbox {
  constructor(private readonly present: RecordPresenters) {}

  record(tx: Tx, event: DomainEvent): number {
    const mapped = toWebhookEvent(tx, event, this.present)
    if (!mapped) return 0
    const { name, data, owners, admins } = mapped
    const candidates = [
      ...(owners.length ? prepared(tx, activeHooksOf).all({ owners: JSON.stringify(owners) }) : []),
      ...(admins ? prepared(tx, activeHooksOfAdmins).all() : [])
    ]
    const seen = new Set<string>()
    const timestamp = nowIso()
    const rows = []
    for (const hook of candidates) {
      if (seen.has(hook.id) || !(hook.events as string[]).includes(name)) continue
      seen.add(hook.id)
      rows.push(deliveryRow(hook.id, { event: name, timestamp, data }))
    }
    if (rows.length) tx.insert(webhookDeliveries).values(rows).run()
    return rows.length
  }
}

interface Mapped {
  name: WebhookEvent
  data: Record<string, unknown>
  owners: string[]
  /** Whether every admin's webhooks hear of it too. */
  admins?: boolean
}

function toWebhookEvent(tx: Tx, event: DomainEvent, present: RecordPresenters): Mapped | undefined {
  switch (event.type) {
    case 'user.created':
      return { name: 'user.created', data: { user_id: event.userId, user: present.user(event.user) }, owners: [event.userId], admins: true }
    case 'user.updated':
      return { name: 'user.updated', data: { user_id: event.userId, user: present.user(event.user) }, owners: [event.userId] }
    case 'conversation.created':
    case 'conversation.updated': {
      const c = event.conversation
      return {
        name: event.type,
        data: {
          conversation_id: c.id,
          assistant_id: c.assistant_id,
          user_id: event.actorId,
          workspace_id: c.workspace_id,
          conversation: present.conversation(c)
        },
        owners: event.audience
      }
    }
    case 'message.created': {
      const assistantId = conversationAssistant(tx, event.conversationId)
      return {
        name: 'message.received',
        data: {
          conversation_id: event.conversationId,
          assistant_id: assistantId ?? null,
          user_id: event.message.sender_id,
          message_id: event.message.id,
          seq: event.seq,
          message: present.message(event.message)
        },
        owners: event.audience
      }
    }
    case 'assistant.status_changed':
      return {
        name: 'assistant.status_changed',
        data: { conversation_id: event.conversationId, assistant_id: event.assistantId, status: event.status },
        owners: event.audience
      }
    default:
      return undefined
  }
}
