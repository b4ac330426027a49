import { eq } from 'drizzle-orm'
import type { ReplySink } from '../ai/reply.js'
import type { ChatMessage } from '../ai/types.js'
import type { Db } from '../db/index.js'
import { users } from '../db/schema.js'
import type { AiService } from './ai.js'
import { modelErrorToDomain } from './ai.js'
import type { ConversationService } from './conversations.js'
import { DomainError, isDomainError } from './errors.js'
import type { EventSubscriptions, MessageRecord, ToolCallRecord } from './events.js'
import type { Principal } from './principal.js'
import { conversationAssistant } from './access.js'

/** How many stored messages a reply sees as its context. */
export const REPLY_CONTEXT_MESSAGES = 50

export type ReplyOutcome = 'completed' | 'failed' | 'cancelled'

export interface ReplyObserver {
  replyFinished?(outcome: ReplyOutcome, seconds: number): void
}

/** The tool data stored on a `tool` message. */

interface Streaming {
  message: MessageRecord
  content: string
  nextIndex: number
}

interface Job {
  conversationId: string
  userMessageId: string
  controller: AbortController
  done: Promise<ReplyOutcome>
  streaming?: Streaming
}

/**
 * The assistant of a conversation answers every message a person sends there. The reply runs in
 * the background: its status, its streamed chunks and its stored messages go out as domain events,
 * so every listener (the WebSocket hub, SSE, webhooks, metrics) sees the same reply. Replies of one
 * conversation run one after another, in the order of the messages they answer.
 */
export class ReplyService {
  private readonly jobs = new Map<string, Job>() // by the user message answered
  private readonly tails = new Map<string, Promise<unknown>>() // the last job of each conversation
  private readonly streamingByMessage = new Map<string, Streaming>()
  private unsubscribe?: () => void
  private stopped = false
  private observer: ReplyObserver = {}

  constructor(
    private readonly db: Db,
    private readonly events: EventSubscriptions,
    private readonly conversations: ConversationService,
    private readonly ai: AiService,
    private readonly log: { error(obj: unknown, msg?: string): void } = { error() {} }
  ) {}

  setObserver(observer: ReplyObserver): void {
    this.observer = observer
  }

  /** Listens for people's messages. Replies a stopped process left streaming are marked failed. */
  start(): void {
    if (this.unsubscribe) return
    this.conversations.failInterruptedReplies()
    this.unsubscribe = this.events.subscribe((e) => {
      if (e.type !== 'message.created' || e.message.role !== 'user' || !e.message.sender_id) return
      this.schedule(e.conversationId, e.message)
    })
  }

  /** Stops listening and cancels every reply in progress; resolves when they have ended. */
  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    for (const job of this.jobs.values()) job.controller.abort(new DOMException('The server is shutting down', 'AbortError'))
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done))
  }

  /** The reply to a person's message, when one is running or queued. */
  replyTo(userMessageId: string): Promise<ReplyOutcome> | undefined {
    return this.jobs.get(userMessageId)?.done
  }

  /** What a reply being streamed has so far, so a client that resubscribes gets no hole. */
  partial(messageId: string): { content: string; nextIndex: number } | undefined {
    const s = this.streamingByMessage.get(messageId)
    return s ? { content: s.content, nextIndex: s.nextIndex } : undefined
  }

  /** Cancels the replies running or queued in a conversation; returns how many. */
  cancel(p: Principal, conversationId: string): number {
    const access = this.conversations.access(p.userId, conversationId)
    if (!access.canWrite) throw new DomainError('FORBIDDEN', 'You may read this conversation but not cancel its replies')
    let n = 0
    for (const job of this.jobs.values()) {
      if (job.conversationId !== conversationId) continue
      job.controller.abort(new DOMException('Cancelled', 'AbortError'))
      n++
    }
    return n
  }

  private schedule(conversationId: string, userMessage: MessageRecord): void {
    if (this.stopped) return
    const assistantId = conversationAssistant(this.db, conversationId)
    if (!assistantId) return
    const controller = new AbortController()
    const previous = this.tails.get(conversationId) ?? Promise.resolve()
    const job: Job = { conversationId, userMessageId: userMessage.id, controller, done: Promise.resolve('completed') }
    // After the send's own answer and events: the reply starts on a later turn of the event loop.
    job.done = previous
      .catch(() => undefined)
      .then(() => new Promise((r) => setImmediate(r)))
      .then(() => this.run(job, assistantId, userMessage))
      .catch((err: unknown) => {
        this.log.error({ err, conversationId }, 'assistant reply crashed')
        return 'failed' as const
      })
      .finally(() => {
        this.jobs.delete(userMessage.id)
        if (this.tails.get(conversationId) === job.done) this.tails.delete(conversationId)
      })
    this.jobs.set(userMessage.id, job)
    this.tails.set(conversationId, job.done)
  }

  private async run(job: Job, assistantId: string, userMessage: MessageRecord): Promise<ReplyOutcome> {
    const started = performance.now()
    const { conversations } = this
    const { conversationId } = job
    const finish = (outcome: ReplyOutcome) => {
      this.observer.replyFinished?.(outcome, (performance.now() - started) / 1000)
      return outcome
    }
    if (job.controller.signal.aborted) return finish('cancelled')

    // The reply is made on behalf of the person whose message it answers.
    const sender = this.db.select().from(users).where(eq(users.id, userMessage.sender_id!)).get()
    let plan: ReturnType<AiService['planAssistantReply']>
    try {
      if (!sender) throw new DomainError('USER_NOT_FOUND', 'The author of the message is gone')
      plan = this.ai.planAssistantReply({ userId: sender.id, role: sender.role, via: 'access_token' }, assistantId)
    } catch (err) {
      const code = isDomainError(err) ? err.code : 'ASSISTANT_ERROR'
      const text = err instanceof Error ? err.message : 'The assistant cannot answer'
      this.failWith(conversationId, undefined, code, text)
      return finish('failed')
    }

    const audience = () => conversations.audienceOf(conversationId)
    let index = 0
    const open = (): Streaming => {
      if (job.streaming) return job.streaming
      const message = conversations.appendMessage(conversationId, { role: 'assistant', content: '', status: 'streaming' })
      const s: Streaming = { message, content: '', nextIndex: 0 }
      job.streaming = s
      this.streamingByMessage.set(message.id, s)
      index = 0
      return s
    }
    const close = (status: 'completed' | 'failed' | 'cancelled'): MessageRecord | undefined => {
      const s = job.streaming
      if (!s) return undefined
      job.streaming = undefined
      this.streamingByMessage.delete(s.message.id)
      return conversations.finishMessage(s.message.id, { content: s.content, status })
    }
    let who = audience()
    const sink: ReplySink = {
      // `idle` is said once the reply's messages are stored, below.
      onStatus: (status) => status !== 'idle' && conversations.publishAssistantStatus(conversationId, assistantId, status),
      onDelta: (_i, text) => {
        const s = open()
        if (index === 0) who = audience()
        s.content += text
        s.nextIndex = index + 1
        conversations.publishDelta(s.message, index++, text, who)
      },
      onToolCall: (call) => {
        // Text streamed before a tool call is a message of its own; the answer after it is another.
        close('completed')
        const data: ToolCallRecord = { kind: 'call', id: call.id, name: call.name, arguments: call.arguments }
        conversations.appendMessage(conversationId, { role: 'tool', content: `${call.name}(${call.arguments})`, tool_call: data })
      },
      onToolResult: (result) => {
        const data: ToolCallRecord = { kind: 'result', id: result.callId, name: result.name, is_error: result.isError }
        conversations.appendMessage(conversationId, { role: 'tool', content: result.content, tool_call: data })
      }
    }

    const context = toChatMessages(conversations.contextOf(conversationId, REPLY_CONTEXT_MESSAGES))
    let result: Pick<Awaited<ReturnType<AiService['reply']>>, 'status' | 'error'>
    try {
      result = await this.ai.reply(plan, context, sink, job.controller.signal)
    } catch (err) {
      this.log.error({ err, conversationId }, 'assistant reply failed unexpectedly')
      result = { status: 'failed', error: { code: 'unavailable', message: 'The assistant failed' } }
    }

    if (result.status === 'completed') {
      // A model that answered with no text still gets its (empty) message, so the person sees an answer.
      if (!job.streaming) open()
      close('completed')
    } else if (result.status === 'cancelled') {
      close('cancelled')
    } else {
      const failed = close('failed') ?? conversations.appendMessage(conversationId, { role: 'assistant', content: '', status: 'failed' })
      const error = result.error ? modelErrorToDomain(result.error) : new DomainError('MODEL_ERROR', 'The model failed')
      conversations.publishAssistantError(conversationId, failed.id, error.code, error.message)
    }
    conversations.publishAssistantStatus(conversationId, assistantId, 'idle')
    return finish(result.status)
  }

  private failWith(conversationId: string, messageId: string | undefined, code: string, text: string): void {
    try {
      const failed = messageId ?? this.conversations.appendMessage(conversationId, { role: 'assistant', content: '', status: 'failed' }).id
      this.conversations.publishAssistantError(conversationId, failed, code, text)
    } catch (err) {
      this.log.error({ err, conversationId }, 'could not record a failed reply')
    }
  }
}

/** Stored messages as a model's context: tool calls and results rebuilt into the model's turns. */
export function toChatMessages(stored: MessageRecord[]): ChatMessage[] {
  const out: ChatMessage[] = []
  for (const m of stored) {
    if (m.status === 'failed' || m.status === 'cancelled' || m.status === 'streaming' || m.status === 'pending') continue
    if (m.role === 'tool') {
      const data = m.tool_call
      if (data?.kind === 'call') {
        const last = out[out.length - 1]
        const call = { id: data.id, name: data.name, arguments: data.arguments }
        // The text an assistant streamed before calling tools belongs to the same turn.
        if (last && last.role === 'assistant') {
          last.toolCalls ??= []
          last.toolCalls.push(call)
        } else out.push({ role: 'assistant', content: '', toolCalls: [call] })
      } else if (data?.kind === 'result') {
        out.push({ role: 'tool', content: m.content, toolCallId: data.id, name: data.name })
      }
      continue
    }
    if (m.role === 'user' || m.role === 'assistant' || m.role === 'system') out.push({ role: m.role, content: m.content })
  }
  return out
}
