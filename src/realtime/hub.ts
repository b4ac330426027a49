import { randomUUID } from 'node:crypto'
import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { WebSocket } from 'ws'
import './formats.js'
import { eventFrame, presentFrame } from './frames.js'
import { ClientFrames, CloseCodes, type ErrorFrame, type MessageSendFrame, type ReadClientFrame, type SubscribeFrame } from '../../schemas/frames.js'
import type { StoredConversationEvent } from '../domain/conversation-events.js'
import type { DomainEvent, EventBus, MessageRecord, RecordPresenters } from '../domain/events.js'
import { isDomainError } from '../domain/errors.js'
import type { Services } from '../domain/index.js'
import type { Principal } from '../domain/principal.js'
import { type RevocationEvent, revokes } from '../domain/revocation.js'

/** Counters the hub reports to (metrics). */
export interface HubObserver {
  connectionOpened?(): void
  connectionClosed?(): void
  /** `count` frames of a type went in or out (a fan-out is reported once, not per socket). */
  frame?(direction: 'in' | 'out', type: string, count: number): void
  slowConsumerDropped?(): void
}

/** What a reply in progress has streamed so far, so a resubscribing client gets no hole. */
export interface PartialReply {
  content: string
  /** The index the next live delta will carry. */
  nextIndex: number
}

export interface HubOptions {
  services: Pick<Services, 'auth' | 'conversations'>
  events: EventBus
  /** How the records in frames are shown to sockets that speak the hub's own (v1's) frames. */
  present: RecordPresenters
  log?: { warn(obj: unknown, msg?: string): void; error(obj: unknown, msg?: string): void }
  /** How long an unauthenticated socket may wait for its `auth` frame. */
  authTimeoutMs?: number
  /** Interval of pings; a peer that has not answered the previous ping is closed. */
  heartbeatMs?: number
  /** A socket whose unsent data passes this is dropped, so it never slows the others. */
  maxBufferedBytes?: number
  /**
   * The most missed messages (`after_seq`) or events (`after_event_seq`) a subscribe replays
   * before telling the client to fetch over HTTP.
   */
  replayLimit?: number
  /** Conversations one socket may be subscribed to at once; past it `subscribe` gets `TOO_MANY_SUBSCRIPTIONS`. */
  maxSubscriptionsPerSocket?: number
  /** Open sockets one user may have; a socket past it is closed with 4429. */
  maxSocketsPerUser?: number
  /** How long a dropped slow reader has to take its 4408 close frame before the socket is cut. */
  slowConsumerGraceMs?: number
  observer?: HubObserver
  partialReply?: (messageId: string) => PartialReply | undefined
}

/**
 * A frame as the hub builds it: v1's frames (`schemas/frames.ts`), carrying the domain's records;
 * they are shown in v1's shapes (`present`) as they are sent to a socket without a dialect.
 */
export type HubFrame = Record<string, unknown> & { type: string }

/**
 * How a socket that speaks another surface's frames reads and writes them, so it shares the hub
 * (its events, heartbeats, bounds and shutdown) without speaking v1's frames.
 */
export interface SocketDialect {
  /** What the socket receives for a hub frame: a frame of its own, or null when it gets nothing. */
  encode(frame: HubFrame): Record<string, unknown> | null
  /** A client frame (parsed JSON) as the hub frame it stands for; throws a DomainError to refuse it. */
  decode(input: unknown, principal: Principal): HubFrame
}

/** How a socket joins the hub: by default it speaks v1's frames and subscribes by itself. */
export interface AcceptOptions {
  dialect?: SocketDialect
  /** Subscribed at once to this conversation (which the caller has already checked it may see). */
  conversationId?: string
}

interface Subscription {
  /** The newest message seq this socket has been sent: live `message.created` at or below it is a duplicate. */
  lastSeq: number
  /** After a replay by `after_event_seq`, the newest event it covered: a live event at or below it is a duplicate. */
  replayedEventSeq: number
}

class Connection {
  readonly id = randomUUID()
  principal: Principal | null = null
  readonly subscriptions = new Map<string, Subscription>()
  alive = true
  authTimer?: NodeJS.Timeout
  constructor(
    readonly hub: Hub,
    readonly ws: WebSocket,
    readonly dialect?: SocketDialect
  ) {}
}

/**
 * Each socket's connection, kept on the socket itself so that the listeners below are shared by
 * every socket instead of being closures made per socket.
 */
const kConnection = Symbol('hub.connection')
type HubSocket = WebSocket & { [kConnection]: Connection }

function onPong(this: WebSocket): void {
  ;(this as HubSocket)[kConnection].alive = true
}
function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  const conn = (this as HubSocket)[kConnection]
  conn.hub.frameFrom(conn, data, isBinary)
}
function onGone(this: WebSocket): void {
  const conn = (this as HubSocket)[kConnection]
  conn.hub.dropConnection(conn)
}
function onError(this: WebSocket, err: Error): void {
  const conn = (this as HubSocket)[kConnection]
  conn.hub.socketFailed(conn, err)
}

/** Sends a Buffer as a text frame (a frame encoded once is written as is to every socket). */
const TEXT = { binary: false }

type ClientFrameType = (typeof ClientFrames)[number]
const checkers = new Map<string, TypeCheck<TSchema>>(
  ClientFrames.map((schema: ClientFrameType) => [(schema.properties.type as { const: string }).const, TypeCompiler.Compile(schema)])
)

const OPEN = 1
const EMPTY = Buffer.alloc(0)
/** The standard close code for a socket bound to a conversation it could not join (only sockets joined at accept). */
const POLICY_VIOLATION = 1008

/**
 * The WebSocket hub: fans domain events out to the sockets that may see them. It listens to
 * the event bus; services never call it.
 */
export class Hub {
  private readonly connections = new Set<Connection>()
  /** Each conversation's subscribed sockets, with their subscription (the one in `conn.subscriptions`). */
  private readonly byConversation = new Map<string, Map<Connection, Subscription>>()
  private readonly byUser = new Map<string, Set<Connection>>()
  /** Sockets of each user subscribed to each conversation: presence changes at 0 ↔ 1. */
  private readonly watchers = new Map<string, Map<string, number>>()
  private readonly unsubscribe: () => void
  private readonly heartbeat: NodeJS.Timeout
  private readonly opts: Required<Omit<HubOptions, 'observer' | 'partialReply' | 'log'>> & Pick<HubOptions, 'observer' | 'partialReply' | 'log'>
  /** The connection whose frame is being handled, so its own answer is not broadcast back to it twice. */
  private origin: Connection | null = null
  /** The `event_seq` of the read mark the frame being handled moved, for the answer to it. */
  private originReadEventSeq: number | undefined
  private closed = false

  constructor(options: HubOptions) {
    this.opts = {
      authTimeoutMs: 5000,
      heartbeatMs: 30_000,
      maxBufferedBytes: 1024 * 1024,
      replayLimit: 1000,
      maxSubscriptionsPerSocket: 200,
      maxSocketsPerUser: 20,
      slowConsumerGraceMs: 5000,
      ...options
    }
    this.unsubscribe = options.events.subscribe((e) => this.onEvent(e))
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs)
    this.heartbeat.unref()
  }

  get size(): number {
    return this.connections.size
  }

  setObserver(observer: HubObserver): void {
    this.opts.observer = observer
  }

  setPartialReply(fn: HubOptions['partialReply']): void {
    this.opts.partialReply = fn
  }

  /**
   * Takes a new socket; `principal` is null when it must still authenticate with an `auth` frame
   * (a socket with a dialect must come authenticated).
   */
  accept(ws: WebSocket, principal: Principal | null, options: AcceptOptions = {}): void {
    const conn = new Connection(this, ws, options.dialect)
    ;(ws as HubSocket)[kConnection] = conn
    this.connections.add(conn)
    this.opts.observer?.connectionOpened?.()
    ws.on('pong', onPong)
    ws.on('message', onMessage)
    ws.on('close', onGone)
    ws.on('error', onError)
    if (this.closed) {
      ws.close(CloseCodes.GOING_AWAY, 'server shutting down')
      return
    }
    if (principal) {
      this.authenticated(conn, principal)
      if (options.conversationId) this.subscribeAtOnce(conn, options.conversationId)
    } else if (conn.dialect) {
      ws.close(CloseCodes.UNAUTHORIZED, 'authentication required')
    } else {
      conn.authTimer = setTimeout(() => {
        if (!conn.principal) ws.close(CloseCodes.UNAUTHORIZED, 'authentication required')
      }, this.opts.authTimeoutMs)
    }
  }

  /** Tells every client, then closes every socket. */
  close(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.heartbeat)
    this.unsubscribe()
    const notice: HubFrame = { type: 'system_notification', level: 'warning', message: 'The server is shutting down' }
    const data = this.wire(notice)
    for (const conn of this.connections) {
      this.deliver(conn, notice, data)
      conn.ws.close(CloseCodes.GOING_AWAY, 'server shutting down')
    }
  }

  private authenticated(conn: Connection, principal: Principal): void {
    clearTimeout(conn.authTimer)
    let set = this.byUser.get(principal.userId)
    if (set && set.size >= this.opts.maxSocketsPerUser) {
      conn.ws.close(CloseCodes.TOO_MANY_SOCKETS, 'too many sockets for this user')
      this.drop(conn)
      return
    }
    conn.principal = principal
    if (!set) {
      set = new Set()
      this.byUser.set(principal.userId, set)
    }
    set.add(conn)
    this.send(conn, { type: 'ready', user_id: principal.userId, connection_id: conn.id })
  }

  private subscribeAtOnce(conn: Connection, conversationId: string): void {
    try {
      this.onSubscribe(conn, { type: 'subscribe', conversation_id: conversationId })
    } catch (err) {
      if (isDomainError(err)) this.error(conn, err.code, err.message, undefined, conversationId)
      else this.opts.log?.error({ err }, 'websocket subscribe failed')
      conn.ws.close(POLICY_VIOLATION, 'cannot subscribe')
    }
  }

  /** A socket's frame (its listener is shared by every socket). */
  frameFrom(conn: Connection, data: Buffer, isBinary: boolean): void {
    this.onFrame(conn, data, isBinary)
  }

  /** A socket closed or failed (its listener is shared by every socket). */
  dropConnection(conn: Connection): void {
    this.drop(conn)
  }

  /** A socket failed (a protocol error, an oversized frame): it is logged, ended and dropped. */
  socketFailed(conn: Connection, err: Error): void {
    this.opts.log?.error({ err, connection: conn.id }, 'websocket error')
    conn.ws.terminate()
    this.drop(conn)
  }

  private drop(conn: Connection): void {
    if (!this.connections.delete(conn)) return
    clearTimeout(conn.authTimer)
    this.opts.observer?.connectionClosed?.()
    for (const conversationId of [...conn.subscriptions.keys()]) this.leave(conn, conversationId)
    if (conn.principal) {
      const set = this.byUser.get(conn.principal.userId)
      set?.delete(conn)
      if (set && set.size === 0) this.byUser.delete(conn.principal.userId)
    }
  }

  private beat(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        conn.ws.terminate()
        this.drop(conn)
        continue
      }
      conn.alive = false
      try {
        conn.ws.ping()
      } catch {
        this.drop(conn)
      }
    }
  }

  // ---- frames from clients ----

  private onFrame(conn: Connection, data: Buffer, isBinary: boolean): void {
    // A dropped socket (revoked, too slow, closing) is not listened to any more.
    if (!this.connections.has(conn)) return
    let parsed: unknown
    try {
      if (isBinary) throw new Error('binary')
      parsed = JSON.parse(data.toString('utf8'))
    } catch {
      return this.error(conn, 'INVALID_FRAME', 'Frames are JSON text objects: { "type": ..., ... }')
    }
    if (conn.dialect && conn.principal) {
      try {
        parsed = conn.dialect.decode(parsed, conn.principal)
      } catch (err) {
        if (isDomainError(err)) return this.error(conn, err.code, err.message)
        this.opts.log?.error({ err }, 'websocket frame could not be read')
        return this.error(conn, 'INTERNAL_ERROR', 'The frame could not be handled')
      }
    }
    const type = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as { type?: unknown }).type : undefined
    if (typeof type !== 'string') return this.error(conn, 'INVALID_FRAME', 'A frame needs a string "type"')
    this.opts.observer?.frame?.('in', type, 1)
    const checker = checkers.get(type)
    if (!checker) return this.error(conn, 'UNKNOWN_FRAME_TYPE', `Unknown frame type "${type}"`)
    const requestId = typeof (parsed as { request_id?: unknown }).request_id === 'string' ? (parsed as { request_id: string }).request_id : undefined
    if (!checker.Check(parsed)) {
      const first = checker.Errors(parsed).First()
      const where = first?.path || '/'
      return this.error(conn, 'INVALID_FRAME', `Invalid "${type}" frame: ${where} ${first?.message ?? 'is invalid'}`, requestId)
    }
    if (type === 'auth') return this.onAuth(conn, (parsed as { token: string }).token)
    if (type === 'ping') return this.send(conn, { type: 'pong', ...(requestId ? { request_id: requestId } : {}) })
    if (!conn.principal) return this.error(conn, 'UNAUTHORIZED', 'Authenticate first with an "auth" frame', requestId)
    this.origin = conn
    try {
      switch (type) {
        case 'subscribe':
          return this.onSubscribe(conn, parsed as Static<typeof SubscribeFrame>)
        case 'unsubscribe': {
          const id = (parsed as { conversation_id: string }).conversation_id
          this.leave(conn, id)
          return this.send(conn, { type: 'unsubscribed', conversation_id: id, ...(requestId ? { request_id: requestId } : {}) })
        }
        case 'typing':
          return this.onTyping(conn, parsed as { conversation_id: string; is_typing?: boolean })
        case 'read':
          return this.onRead(conn, parsed as Static<typeof ReadClientFrame>)
        case 'message.send':
          return this.onSend(conn, parsed as Static<typeof MessageSendFrame>)
      }
    } catch (err) {
      const conversationId = (parsed as { conversation_id?: string }).conversation_id
      if (isDomainError(err)) return this.error(conn, err.code, err.message, requestId, conversationId)
      this.opts.log?.error({ err, type }, 'websocket frame failed')
      return this.error(conn, 'INTERNAL_ERROR', 'The frame could not be handled', requestId, conversationId)
    } finally {
      this.origin = null
    }
  }

  private onAuth(conn: Connection, token: string): void {
    if (conn.principal) return this.error(conn, 'ALREADY_AUTHENTICATED', 'This connection is already authenticated')
    try {
      this.authenticated(conn, this.opts.services.auth.authenticate(token))
    } catch {
      conn.ws.close(CloseCodes.UNAUTHORIZED, 'invalid credentials')
    }
  }

  private onSubscribe(conn: Connection, f: Static<typeof SubscribeFrame>): void {
    const { conversations } = this.opts.services
    const userId = conn.principal!.userId
    if (!conn.subscriptions.has(f.conversation_id) && conn.subscriptions.size >= this.opts.maxSubscriptionsPerSocket) {
      const max = this.opts.maxSubscriptionsPerSocket
      return this.error(conn, 'TOO_MANY_SUBSCRIPTIONS', `A socket may follow at most ${max} conversations; unsubscribe first`, f.request_id, f.conversation_id)
    }
    if (f.after_seq !== undefined && f.after_event_seq !== undefined) {
      return this.error(conn, 'INVALID_FRAME', 'Resume with after_seq or with after_event_seq, not both', f.request_id, f.conversation_id)
    }
    const access = conversations.access(userId, f.conversation_id)
    // Everything from here to registering the subscription is synchronous, so no event published
    // in between can be missed or sent twice: the replay and the live stream meet exactly.
    let after = f.after_seq
    let replayed = 0
    let truncated = false
    let lastSeq = access.conversation.lastSeq
    let lastEventSeq = access.conversation.lastEventSeq
    let replayedEventSeq = 0
    if (f.after_event_seq !== undefined) {
      const replay = conversations.eventsAfter(f.conversation_id, f.after_event_seq, this.opts.replayLimit)
      for (const stored of replay.events) this.sendStoredEvent(conn, stored)
      replayed = replay.events.length
      truncated = !replay.complete
      lastEventSeq = replay.lastEventSeq
      replayedEventSeq = lastEventSeq
    } else if (after !== undefined) {
      for (;;) {
        const room = this.opts.replayLimit - replayed
        const page = conversations.historyOf(access.conversation, { after_seq: after, limit: Math.min(200, room) })
        for (const m of page.items) {
          this.sendMessageFrame(conn, m)
          after = m.seq
          replayed++
        }
        lastSeq = page.last_seq
        if (!page.has_more) break
        if (replayed >= this.opts.replayLimit) {
          truncated = true
          lastSeq = after
          break
        }
      }
    }
    const already = conn.subscriptions.has(f.conversation_id)
    const seenSeq = truncated && after !== undefined ? after : Math.max(lastSeq, after ?? 0)
    const subscription: Subscription = { lastSeq: seenSeq, replayedEventSeq }
    conn.subscriptions.set(f.conversation_id, subscription)
    let subscribers = this.byConversation.get(f.conversation_id)
    if (!subscribers) {
      subscribers = new Map()
      this.byConversation.set(f.conversation_id, subscribers)
    }
    subscribers.set(conn, subscription)
    if (!already) {
      let counts = this.watchers.get(f.conversation_id)
      if (!counts) {
        counts = new Map()
        this.watchers.set(f.conversation_id, counts)
      }
      const n = (counts.get(userId) ?? 0) + 1
      counts.set(userId, n)
      if (n === 1) this.presence(f.conversation_id, userId, 'user_joined', conn)
    }
    this.send(conn, {
      type: 'subscribed',
      conversation_id: f.conversation_id,
      last_seq: lastSeq,
      last_event_seq: lastEventSeq,
      replayed,
      replay_truncated: truncated,
      ...(f.request_id ? { request_id: f.request_id } : {})
    })
  }

  /** Sends a stored message; a reply still streaming carries what it has streamed so far. */
  private sendMessageFrame(conn: Connection, m: MessageRecord): void {
    this.send(conn, { type: 'message.created', conversation_id: m.conversation_id, seq: m.seq, message: this.streamedSoFar(m) })
  }

  /** Sends a stored conversation event as it went out live; a reply still streaming carries what it has streamed so far. */
  private sendStoredEvent(conn: Connection, stored: StoredConversationEvent): void {
    let e: DomainEvent = stored.event
    if (e.type === 'message.created' || e.type === 'message.updated' || e.type === 'message.completed') e = { ...e, message: this.streamedSoFar(e.message) }
    const frame = eventFrame(e, () => stored.seq)
    if (frame) this.send(conn, frame)
  }

  private streamedSoFar(m: MessageRecord): MessageRecord {
    if (m.status !== 'streaming' || !this.opts.partialReply) return m
    const partial = this.opts.partialReply(m.id)
    return partial ? { ...m, content: partial.content } : m
  }

  private leave(conn: Connection, conversationId: string): void {
    if (!conn.subscriptions.delete(conversationId)) return
    const set = this.byConversation.get(conversationId)
    if (!set) return
    set.delete(conn)
    const userId = conn.principal?.userId
    const counts = this.watchers.get(conversationId)
    if (userId && counts) {
      const n = (counts.get(userId) ?? 1) - 1
      if (n > 0) counts.set(userId, n)
      else {
        counts.delete(userId)
        this.presence(conversationId, userId, 'user_left', conn)
      }
      if (counts.size === 0) this.watchers.delete(conversationId)
    }
    if (set.size === 0) this.byConversation.delete(conversationId)
  }

  private presence(conversationId: string, userId: string, status: 'user_joined' | 'user_left', except: Connection): void {
    const set = this.byConversation.get(conversationId)
    if (!set) return
    const seq = this.currentSeq(conversationId)
    const frame: HubFrame = { type: 'presence', conversation_id: conversationId, seq, user_id: userId, status }
    const data = this.wire(frame)
    const tally = { n: 0 }
    for (const c of set.keys()) if (c !== except) this.deliver(c, frame, data, tally)
    this.report('presence', tally)
  }

  private onTyping(conn: Connection, f: { conversation_id: string; is_typing?: boolean }): void {
    if (!conn.subscriptions.has(f.conversation_id)) {
      return this.error(conn, 'NOT_SUBSCRIBED', 'Subscribe to the conversation before sending typing frames', undefined, f.conversation_id)
    }
    const userId = conn.principal!.userId
    const frame: HubFrame = {
      type: 'typing',
      conversation_id: f.conversation_id,
      seq: conn.subscriptions.get(f.conversation_id)!.lastSeq,
      user_id: userId,
      is_typing: f.is_typing ?? true
    }
    const data = this.wire(frame)
    const tally = { n: 0 }
    for (const c of this.byConversation.get(f.conversation_id)?.keys() ?? []) {
      if (c.principal?.userId !== userId) this.deliver(c, frame, data, tally)
    }
    this.report('typing', tally)
  }

  private onRead(conn: Connection, f: Static<typeof ReadClientFrame>): void {
    this.originReadEventSeq = undefined
    const state = this.opts.services.conversations.markRead(conn.principal!, f.conversation_id, f.seq)
    const eventSeq = this.originReadEventSeq
    this.originReadEventSeq = undefined
    this.send(conn, {
      type: 'read',
      conversation_id: f.conversation_id,
      seq: this.currentSeq(f.conversation_id),
      ...(eventSeq !== undefined ? { event_seq: eventSeq } : {}),
      user_id: conn.principal!.userId,
      last_read_seq: state.last_read_seq,
      ...(f.request_id ? { request_id: f.request_id } : {})
    })
  }

  private onSend(conn: Connection, f: Static<typeof MessageSendFrame>): void {
    const result = this.opts.services.conversations.send(conn.principal!, f.conversation_id, {
      content: f.content,
      attachments: f.attachments,
      client_msg_id: f.client_msg_id
    })
    this.send(conn, { type: 'message.ack', ...(f.request_id ? { request_id: f.request_id } : {}), created: result.created, message: result.message })
  }

  // ---- domain events to frames ----

  private onEvent(e: DomainEvent): void {
    if (e.type === 'session.revoked' || e.type === 'user.sessions_revoked' || e.type === 'api_key.revoked') return this.revoke(e)
    const frame = eventFrame(e, (id) => this.currentSeq(id))
    if (!frame) return
    switch (e.type) {
      case 'message.created':
        return this.toSubscribers(e.conversationId, e.audience, frame, { seq: e.seq, eventSeq: e.eventSeq, notifyOthers: true })
      case 'message.updated':
      case 'message.deleted':
      case 'message.completed':
      case 'assistant.status_changed':
      case 'assistant.error':
        return this.toSubscribers(e.conversationId, e.audience, frame, { eventSeq: e.eventSeq })
      case 'message.delta':
        return this.toSubscribers(e.conversationId, e.audience, frame)
      case 'conversation.read':
        if (this.origin?.principal?.userId === e.userId) this.originReadEventSeq = e.eventSeq
        return this.toSubscribers(e.conversationId, e.audience, frame, { eventSeq: e.eventSeq, except: this.origin })
      case 'conversation.created':
      case 'conversation.updated':
        return this.toUsers(e.audience, frame, e.conversation.id, e.eventSeq)
      case 'conversation.deleted': {
        this.toUsers(e.audience, frame)
        for (const c of [...(this.byConversation.get(e.conversationId)?.keys() ?? [])]) c.subscriptions.delete(e.conversationId)
        this.byConversation.delete(e.conversationId)
        this.watchers.delete(e.conversationId)
        return
      }
      default:
        return
    }
  }

  /** Closes at once the user's sockets whose credentials the event revokes; their frames are no longer read. */
  private revoke(e: RevocationEvent): void {
    for (const conn of [...(this.byUser.get(e.userId) ?? [])]) {
      if (!conn.principal || !revokes(e, conn.principal)) continue
      conn.ws.close(CloseCodes.REVOKED, 'credentials revoked')
      this.drop(conn)
    }
  }

  /**
   * Sends one serialized frame to the conversation's subscribers who are in the event's audience,
   * but not to a socket that was already sent it by a replay (by `seq` for a new message, by
   * `eventSeq` after `after_event_seq`). With `notifyOthers`, the audience's other sockets get a
   * `conversation_update` instead.
   */
  private toSubscribers(
    conversationId: string,
    audience: string[],
    frame: HubFrame,
    opts: { seq?: number; eventSeq?: number; notifyOthers?: boolean; except?: Connection | null } = {}
  ): void {
    const { seq, eventSeq, notifyOthers = false, except = null } = opts
    const allowed = new Set(audience)
    const subscribers = this.byConversation.get(conversationId)
    // Encoded once, when the first socket needs it (a conversation nobody watches costs nothing).
    let data: Buffer | undefined
    const tally = { n: 0 }
    // Sockets of the audience that watch the conversation: when that is all of the audience's
    // sockets (the usual case for an open conversation), nobody is left to notify.
    let watching = 0
    if (subscribers) {
      for (const [c, sub] of subscribers) {
        if (c === except || !c.principal || !allowed.has(c.principal.userId)) continue
        watching++
        if (eventSeq !== undefined && eventSeq <= sub.replayedEventSeq) continue // already replayed
        if (seq !== undefined) {
          if (seq <= sub.lastSeq) continue // already replayed
          sub.lastSeq = seq
        }
        data ??= this.wire(frame)
        this.deliver(c, frame, data, tally)
      }
    }
    this.report(frame.type, tally)
    if (notifyOthers && this.socketsOf(allowed) > watching) {
      const note: HubFrame = {
        type: 'conversation_update',
        conversation_id: conversationId,
        seq: seq ?? 0,
        ...(eventSeq !== undefined ? { event_seq: eventSeq } : {}),
        action: 'new_message'
      }
      let noteData: Buffer | undefined
      const notes = { n: 0 }
      for (const userId of allowed) {
        for (const c of this.byUser.get(userId) ?? []) {
          if (c.subscriptions.has(conversationId)) continue
          noteData ??= this.wire(note)
          this.deliver(c, note, noteData, notes)
        }
      }
      this.report('conversation_update', notes)
    }
  }

  /** How many sockets the users have open. */
  private socketsOf(userIds: Iterable<string>): number {
    let n = 0
    for (const userId of userIds) n += this.byUser.get(userId)?.size ?? 0
    return n
  }

  /** Sends one serialized frame to every socket of the users, but not to one a replay already sent that event. */
  private toUsers(userIds: string[], frame: HubFrame, conversationId?: string, eventSeq?: number): void {
    const data = this.wire(frame)
    const tally = { n: 0 }
    for (const userId of new Set(userIds)) {
      for (const c of this.byUser.get(userId) ?? []) {
        const sub = conversationId !== undefined ? c.subscriptions.get(conversationId) : undefined
        if (sub && eventSeq !== undefined && eventSeq <= sub.replayedEventSeq) continue
        this.deliver(c, frame, data, tally)
      }
    }
    this.report(frame.type, tally)
  }

  private currentSeq(conversationId: string): number {
    try {
      return this.opts.services.conversations.lastSeq(conversationId)
    } catch {
      return 0
    }
  }

  // ---- sending ----

  private error(conn: Connection, code: string, message: string, requestId?: string, conversationId?: string): void {
    const frame: Static<typeof ErrorFrame> = { type: 'error', code, message }
    if (requestId) frame.request_id = requestId
    if (conversationId) frame.conversation_id = conversationId
    this.send(conn, frame)
  }

  private send(conn: Connection, frame: HubFrame): void {
    if (conn.dialect) return this.deliver(conn, frame, EMPTY)
    this.sendRaw(conn, this.wire(frame), frame.type)
  }

  /**
   * A frame serialized for sockets that speak the hub's own frames, its records presented: encoded
   * to bytes once, so a fan-out writes the same buffer to every socket.
   */
  private wire(frame: HubFrame): Buffer {
    return Buffer.from(JSON.stringify(presentFrame(frame, this.opts.present)))
  }

  /** Sends a frame serialized once for v1 sockets (`data`); a socket with a dialect gets its own frame, or nothing. */
  private deliver(conn: Connection, frame: HubFrame, data: Buffer, tally?: { n: number }): void {
    if (!conn.dialect) return this.sendRaw(conn, data, frame.type, tally)
    const own = conn.dialect.encode(frame)
    if (own) this.sendRaw(conn, JSON.stringify(own), frame.type, tally)
  }

  /**
   * Sends to one socket. A socket that cannot keep up is dropped instead of buffering without
   * bound. With a `tally`, the frame is counted there (a fan-out reports its total once).
   */
  private sendRaw(conn: Connection, data: Buffer | string, type: string, tally?: { n: number }): void {
    const ws = conn.ws
    if (ws.readyState !== OPEN) return
    if (ws.bufferedAmount + data.length > this.opts.maxBufferedBytes) {
      this.opts.observer?.slowConsumerDropped?.()
      this.opts.log?.warn({ connection: conn.id, buffered: ws.bufferedAmount }, 'dropping a slow WebSocket reader')
      // The close frame queues behind the backlog: a reader that catches up within the grace sees
      // 4408; one that does not is cut. Either way nothing more is queued for it.
      ws.close(CloseCodes.SLOW_CONSUMER, 'slow consumer')
      const cut = setTimeout(() => ws.terminate(), this.opts.slowConsumerGraceMs)
      cut.unref()
      ws.once('close', () => clearTimeout(cut))
      this.drop(conn)
      return
    }
    ws.send(data, TEXT)
    if (tally) tally.n++
    else this.opts.observer?.frame?.('out', type, 1)
  }

  private report(type: string, tally: { n: number }): void {
    if (tally.n > 0) this.opts.observer?.frame?.('out', type, tally.n)
  }
}
