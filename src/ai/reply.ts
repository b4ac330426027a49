import { abortError } from './providers/errors.js'
import type { RunnableTool } from './tools/types.js'
import type { ChatMessage, FinishReason, ModelError, ModelProvider, ToolCall, Usage } from './types.js'

/**
 * The reply pipeline's core: call the model, stream its text, run the tools it asks for, hand the
 * results back, and go on until it answers, within a bound of steps and time. It knows nothing of
 * HTTP or the database: what happens is reported to a sink, and the result says what to store.
 */

export type AssistantStatus = 'thinking' | 'streaming' | 'idle'

export interface ToolResult {
  callId: string
  name: string
  /** What the model is given: the tool's output, or `{"error": "..."}`. */
  content: string
  isError: boolean
}

export interface ReplySink {
  onStatus?(status: AssistantStatus): void
  /** A piece of the reply's text; `index` counts the pieces of this reply from 0. */
  onDelta?(index: number, text: string): void
  onToolCall?(call: ToolCall, step: number): void
  onToolResult?(result: ToolResult, step: number): void
}

export interface GenerateReplyInput {
  provider: ModelProvider
  /** The vendor's model name (see ModelRegistry.resolve). */
  model: string
  /** The conversation so far, oldest first, ending with the person's message. */
  messages: ChatMessage[]
  systemPrompt?: string | null
  temperature?: number
  maxTokens?: number
  tools?: RunnableTool[]
  /** Model calls at most (each tool round is one); default 5. */
  maxSteps?: number
  /** The whole reply's time bound in ms; default 120 000. */
  timeoutMs?: number
  /** One tool run's time bound in ms; default 15 000. */
  toolTimeoutMs?: number
  /** Abort to cancel the reply. */
  signal?: AbortSignal
  sink?: ReplySink
}

export interface ReplyResult {
  status: 'completed' | 'failed' | 'cancelled'
  /** The reply's text: everything streamed, in order. */
  content: string
  /** The messages the reply added, to store: assistant turns that called tools, the tool results, the final answer. */
  transcript: ChatMessage[]
  toolRuns: { call: ToolCall; result: ToolResult; step: number }[]
  steps: number
  finishReason?: FinishReason | 'max_steps'
  usage: Usage
  error?: ModelError
}

export const DEFAULT_MAX_STEPS = 5
export const DEFAULT_REPLY_TIMEOUT_MS = 120_000
export const DEFAULT_TOOL_TIMEOUT_MS = 15_000

function safe<A extends unknown[]>(fn: ((...args: A) => void) | undefined, ...args: A): void {
  if (!fn) return
  try {
    fn(...args)
  } catch {
    // A sink's failure must not break the reply.
  }
}

/**
 * A signal that fires with a TimeoutError after `ms`. Unlike `AbortSignal.timeout`, its timer keeps
 * the process alive while it runs, so a bound still fires when nothing else is pending; `clear` it when done.
 */
function deadline(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new DOMException(`Timed out after ${ms} ms`, 'TimeoutError')), ms)
  return { signal: controller.signal, clear: () => clearTimeout(timer) }
}

function parseArguments(text: string): Record<string, unknown> {
  const value = JSON.parse(text.trim() || '{}') as unknown
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('the arguments must be a JSON object')
  return value as Record<string, unknown>
}

async function runTool(tool: RunnableTool | undefined, call: ToolCall, signal: AbortSignal, timeoutMs: number): Promise<ToolResult> {
  const base = { callId: call.id, name: call.name }
  if (!tool) return { ...base, content: JSON.stringify({ error: `There is no tool named ${call.name}` }), isError: true }
  let args: Record<string, unknown>
  try {
    args = parseArguments(call.arguments)
  } catch (err) {
    return { ...base, content: JSON.stringify({ error: `Invalid arguments: ${(err as Error).message}` }), isError: true }
  }
  const limit = deadline(timeoutMs)
  const toolSignal = AbortSignal.any([signal, limit.signal])
  // A tool that ignores its signal still cannot hold the loop past the bound.
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(toolSignal.reason instanceof Error ? toolSignal.reason : new Error('aborted'))
    if (toolSignal.aborted) fail()
    else toolSignal.addEventListener('abort', fail, { once: true })
  })
  try {
    const content = await Promise.race([tool.run(args, { signal: toolSignal }), aborted])
    return { ...base, content, isError: false }
  } catch (err) {
    const e = err as Error
    const message = toolSignal.aborted && !signal.aborted ? `The tool did not finish within ${timeoutMs} ms` : e.message || 'The tool failed'
    return { ...base, content: JSON.stringify({ error: message }), isError: true }
  } finally {
    limit.clear()
    aborted.catch(() => {})
  }
}

export async function generateReply(input: GenerateReplyInput): Promise<ReplyResult> {
  const limit = deadline(input.timeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS)
  try {
    return await loop(input, limit.signal)
  } finally {
    limit.clear()
  }
}

async function loop(input: GenerateReplyInput, deadlineSignal: AbortSignal): Promise<ReplyResult> {
  const maxSteps = Math.max(1, input.maxSteps ?? DEFAULT_MAX_STEPS)
  const toolTimeoutMs = input.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS
  const signal = AbortSignal.any([...(input.signal ? [input.signal] : []), deadlineSignal])
  const sink = input.sink ?? {}
  const tools = new Map((input.tools ?? []).map((t) => [t.spec.name, t]))
  const specs = [...tools.values()].map((t) => t.spec)

  const history: ChatMessage[] = [...(input.systemPrompt ? [{ role: 'system' as const, content: input.systemPrompt }] : []), ...input.messages]
  const transcript: ChatMessage[] = []
  const toolRuns: ReplyResult['toolRuns'] = []
  const usage: Usage = { input_tokens: 0, output_tokens: 0 }
  let content = ''
  let index = 0
  let status: AssistantStatus | undefined
  const setStatus = (s: AssistantStatus) => {
    if (s !== status) {
      status = s
      safe(sink.onStatus, s)
    }
  }
  const emit = (text: string) => {
    if (!text) return
    setStatus('streaming')
    content += text
    safe(sink.onDelta, index++, text)
  }
  const end = (result: Omit<ReplyResult, 'content' | 'transcript' | 'toolRuns' | 'usage'>): ReplyResult => {
    setStatus('idle')
    return { ...result, content, transcript, toolRuns, usage }
  }

  let step = 0
  while (step < maxSteps) {
    step++
    if (signal.aborted) {
      const error = abortError(signal)
      return end({ status: error.code === 'cancelled' ? 'cancelled' : 'failed', steps: step - 1, error })
    }
    setStatus('thinking')
    let stepText = ''
    const calls: ToolCall[] = []
    let finishReason: FinishReason | undefined
    let error: ModelError | undefined
    try {
      for await (const ev of input.provider.stream({
        model: input.model,
        messages: history,
        tools: specs.length ? specs : undefined,
        temperature: input.temperature,
        maxTokens: input.maxTokens,
        signal
      })) {
        if (ev.type === 'text') {
          // Text of a later step starts a new paragraph.
          if (!stepText && content && !/\s$/.test(content) && ev.delta) emit('\n\n')
          stepText += ev.delta
          emit(ev.delta)
        } else if (ev.type === 'tool_call') {
          calls.push(ev.call)
        } else if (ev.type === 'done') {
          finishReason = ev.finishReason
          if (ev.usage) {
            usage.input_tokens += ev.usage.input_tokens
            usage.output_tokens += ev.usage.output_tokens
          }
        } else if (ev.type === 'error') {
          error = ev.error
          break
        }
      }
    } catch (err) {
      // Providers report failures as events; this is a bug in one, still reported, never thrown.
      error = signal.aborted ? abortError(signal) : { code: 'provider_error', message: (err as Error).message || 'The provider failed' }
    }
    if (!error && signal.aborted) error = abortError(signal)
    if (error) {
      if (stepText) transcript.push({ role: 'assistant', content: stepText })
      return end({ status: error.code === 'cancelled' ? 'cancelled' : 'failed', steps: step, error, finishReason })
    }
    if (calls.length === 0) {
      transcript.push({ role: 'assistant', content: stepText })
      return end({ status: 'completed', steps: step, finishReason: finishReason ?? 'stop' })
    }

    // A tool round: record the call, run each tool, hand the results back.
    const turn: ChatMessage = { role: 'assistant', content: stepText, toolCalls: calls }
    history.push(turn)
    transcript.push(turn)
    if (step === maxSteps) {
      return end({
        status: 'failed',
        steps: step,
        finishReason: 'max_steps',
        error: { code: 'tool_loop_limit', message: `The model was still calling tools after ${maxSteps} steps; the reply was stopped` }
      })
    }
    setStatus('thinking')
    for (const call of calls) {
      safe(sink.onToolCall, call, step)
      const result = await runTool(tools.get(call.name), call, signal, toolTimeoutMs)
      safe(sink.onToolResult, result, step)
      toolRuns.push({ call, result, step })
      const message: ChatMessage = { role: 'tool', content: result.content, toolCallId: call.id, name: call.name }
      history.push(message)
      transcript.push(message)
      if (signal.aborted) break
    }
  }
  /* c8 ignore next */
  return end({ status: 'failed', steps: step, finishReason: 'max_steps', error: { code: 'provider_error', message: 'The tool loop ended without an answer' } })
}
