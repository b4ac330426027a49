import { isIP } from 'node:net'
import { and, asc, eq, lte, sql } from 'drizzle-orm'
import pLimit from 'p-limit'
import { Webhook } from 'standardwebhooks'
import type { Agent, request as undiciRequest } from 'undici'
import type { Db } from '../db/index.js'
import { webhookDeliveries, webhooks } from '../db/schema.js'
import { nowIso } from '../domain/clock.js'
import { guardedLookup, isPrivateAddress } from '../net/address-guard.js'

export interface DispatcherOptions {
  /** Let deliveries reach private and loopback addresses (`WEBHOOK_ALLOW_PRIVATE`). */
  allowPrivate: boolean
  /** How often due deliveries are looked for when nothing nudges the dispatcher. */
  pollIntervalMs: number
  /** Time allowed for one attempt, from connect to the end of the answer. */
  timeoutMs: number
  /** Attempts of one delivery before it is marked failed. */
  maxAttempts: number
  /** Failed deliveries in a row after which the webhook is disabled. */
  disableAfterFailures: number
  /** The first retry waits about this long; each further one twice as long, with jitter. */
  backoffBaseMs: number
  backoffMaxMs: number
  /** A receiver's `Retry-After` is honoured up to this. */
  retryAfterMaxMs: number
  /** Attempts under way at once. */
  concurrency: number
  userAgent: string
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  allowPrivate: false,
  pollIntervalMs: 1000,
  timeoutMs: 10_000,
  maxAttempts: 8,
  disableAfterFailures: 10,
  backoffBaseMs: 5_000,
  backoffMaxMs: 10 * 3600_000,
  retryAfterMaxMs: 3600_000,
  concurrency: 8,
  userAgent: 'assistant-backend-webhooks/1'
}

export type AttemptOutcome = 'success' | 'retry' | 'failed'

export interface DispatcherHooks {
  /** Called after each attempt (metrics). */
  onAttempt?(outcome: AttemptOutcome): void
  onError?(err: unknown): void
}

type Due = {
  id: string
  messageId: string
  payload: unknown
  attempts: number
  leaseUntil: string
  webhookId: string
  url: string
  secret: string
}

/** The signer of a webhook secret: `whsec_<base64>` as Standard Webhooks defines, any other string as raw bytes. */
export function signerFor(secret: string): Webhook {
  return /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret) ? new Webhook(secret) : new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' })
}

/** Exponential backoff with jitter: about base·2^(n-1), between half and all of it, capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exp / 2 + (random() * exp) / 2)
}

/** `Retry-After` in ms (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (!v) return undefined
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/**
 * Sends the outbox: polls for due deliveries (and is nudged after each commit that wrote some),
 * claims each with a lease (so a crash mid-attempt means a retry, never a loss), POSTs it signed
 * per Standard Webhooks, and records the outcome. 2xx is success; anything else, a redirect
 * included (never followed), is retried with exponential backoff and jitter, honouring
 * `Retry-After`, until `maxAttempts`; a webhook whose deliveries keep failing is disabled.
 * Connections go through a lookup that refuses private addresses, so the address checked is the
 * address connected to.
 */
export class WebhookDispatcher {
  private readonly options: DispatcherOptions
  /** undici, loaded with the first delivery: a service that sends no webhooks never loads it. */
  private http: Promise<{ agent: Agent; request: typeof undiciRequest }> | undefined
  private readonly limit: ReturnType<typeof pLimit>
  private readonly inFlight = new Map<string, Promise<void>>()
  private readonly abort = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private scheduled = false
  private stopped = true

  constructor(
    private readonly db: Db,
    options: Partial<DispatcherOptions> = {},
    private readonly hooks: DispatcherHooks = {}
  ) {
    this.options = { ...DEFAULT_DISPATCHER_OPTIONS, ...options }
    this.limit = pLimit(this.options.concurrency)
  }

  private client(): Promise<{ agent: Agent; request: typeof undiciRequest }> {
    this.http ??= import('undici').then(({ Agent, request }) => ({
      agent: new Agent({
        connect: { lookup: guardedLookup(this.options.allowPrivate), timeout: this.options.timeoutMs },
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        keepAliveTimeout: 4_000
      }),
      request
    }))
    return this.http
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.nudge()
  }

  /** Stops polling, aborts attempts under way (they will be retried after their lease) and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.abort.abort()
    await Promise.allSettled([...this.inFlight.values()])
    if (this.http) await (await this.http).agent.close().catch(() => {})
  }

  /** Looks for due deliveries now (soon after the current tick). */
  nudge(): void {
    if (this.stopped || this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.tick()
    })
  }

  /** Resolves when nothing is under way (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight.values()])
  }

  private tick(): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    try {
      const room = this.options.concurrency * 2 - this.inFlight.size
      if (room > 0) {
        for (const due of this.claim(room)) {
          const run = this.limit(() => this.attempt(due))
            .catch((err) => this.hooks.onError?.(err))
            .finally(() => {
              this.inFlight.delete(due.id)
              this.nudge()
            })
          this.inFlight.set(due.id, run)
        }
      }
    } catch (err) {
      this.hooks.onError?.(err)
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => this.tick(), this.options.pollIntervalMs)
      this.timer.unref()
    }
  }

  /** Claims due deliveries of active webhooks by moving their next attempt past a lease. */
  private claim(max: number): Due[] {
    const now = nowIso()
    const leaseUntil = new Date(Date.now() + this.options.timeoutMs + 30_000).toISOString()
    return this.db.transaction((tx) => {
      const rows = tx
        .select({
          id: webhookDeliveries.id,
          messageId: webhookDeliveries.messageId,
          payload: webhookDeliveries.payload,
          attempts: webhookDeliveries.attempts,
          webhookId: webhooks.id,
          url: webhooks.url,
          secret: webhooks.secret
        })
        .from(webhookDeliveries)
        .innerJoin(webhooks, eq(webhookDeliveries.webhookId, webhooks.id))
        .where(and(eq(webhookDeliveries.status, 'pending'), lte(webhookDeliveries.nextAttemptAt, now), eq(webhooks.isActive, true)))
        .orderBy(asc(webhookDeliveries.nextAttemptAt))
        .limit(max)
        .all()
        .filter((r) => !this.inFlight.has(r.id))
      for (const r of rows) {
        tx.update(webhookDeliveries).set({ nextAttemptAt: leaseUntil }).where(eq(webhookDeliveries.id, r.id)).run()
      }
      return rows.map((r) => ({ ...r, leaseUntil }))
    })
  }

  private async attempt(d: Due): Promise<void> {
    if (this.stopped) return
    const body = JSON.stringify(d.payload)
    const sentAt = new Date()
    const started = performance.now()
    let statusCode: number | null = null
    let error: string | null = null
    let retryAfterMs: number | undefined
    try {
      const url = new URL(d.url)
      const host = url.hostname.replace(/^\[|\]$/g, '')
      if (!this.options.allowPrivate && isIP(host) && isPrivateAddress(host)) {
        throw new Error(`The address ${host} is not public`)
      }
      const { agent, request } = await this.client()
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        signal: this.abort.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': this.options.userAgent,
          'webhook-id': d.messageId,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': signerFor(d.secret).sign(d.messageId, sentAt, body)
        },
        body
      })
      statusCode = res.statusCode
      await res.body.dump({ limit: 64 * 1024 }).catch(() => {})
      if (statusCode < 200 || statusCode >= 300) {
        error =
          statusCode >= 300 && statusCode < 400
            ? `Redirect (${statusCode}) not followed${res.headers.location ? ` to ${String(res.headers.location)}` : ''}`
            : `Receiver answered ${statusCode}`
        retryAfterMs = parseRetryAfter(res.headers['retry-after'])
      }
    } catch (err) {
      if (this.stopped) return // the lease runs out and the delivery is tried again
      const cause = (err as { cause?: unknown }).cause
      error = (cause instanceof Error ? cause.message : undefined) ?? (err instanceof Error ? err.message : String(err))
    }
    this.record(d, statusCode, error, Math.round(performance.now() - started), retryAfterMs)
  }

  private record(d: Due, statusCode: number | null, error: string | null, durationMs: number, retryAfterMs: number | undefined): void {
    const now = nowIso()
    const attempts = d.attempts + 1
    let outcome: AttemptOutcome
    this.db.transaction((tx) => {
      const base = { attempts, lastStatusCode: statusCode, lastError: error, lastDurationMs: durationMs, updatedAt: now }
      const mine = and(eq(webhookDeliveries.id, d.id), eq(webhookDeliveries.status, 'pending'), eq(webhookDeliveries.nextAttemptAt, d.leaseUntil))
      if (error === null) {
        outcome = 'success'
        const res = tx
          .update(webhookDeliveries)
          .set({ ...base, status: 'succeeded', deliveredAt: now })
          .where(mine)
          .run()
        if (res.changes) tx.update(webhooks).set({ consecutiveFailures: 0 }).where(eq(webhooks.id, d.webhookId)).run()
        return
      }
      if (attempts < this.options.maxAttempts) {
        outcome = 'retry'
        const backoff = backoffDelay(attempts, this.options.backoffBaseMs, this.options.backoffMaxMs)
        const wait = retryAfterMs !== undefined ? Math.min(this.options.retryAfterMaxMs, retryAfterMs) : backoff
        const next = new Date(Date.now() + wait).toISOString()
        tx.update(webhookDeliveries)
          .set({ ...base, nextAttemptAt: next })
          .where(mine)
          .run()
        return
      }
      outcome = 'failed'
      const res = tx
        .update(webhookDeliveries)
        .set({ ...base, status: 'failed' })
        .where(mine)
        .run()
      if (!res.changes) return
      tx.update(webhooks)
        .set({ consecutiveFailures: sql`${webhooks.consecutiveFailures} + 1` })
        .where(eq(webhooks.id, d.webhookId))
        .run()
      tx.update(webhooks)
        .set({
          isActive: false,
          disabledAt: now,
          disabledReason: `Disabled after ${this.options.disableAfterFailures} failed deliveries in a row`,
          updatedAt: now
        })
        .where(and(eq(webhooks.id, d.webhookId), eq(webhooks.isActive, true), sql`${webhooks.consecutiveFailures} >= ${this.options.disableAfterFailures}`))
        .run()
    })
    this.hooks.onAttempt?.(outcome!)
  }
}
