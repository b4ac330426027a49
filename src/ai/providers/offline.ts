import { setTimeout as sleep } from 'node:timers/promises'
import { CalculatorError, evaluate } from '../tools/calculator.js'
import type { ChatMessage, ModelProvider, StreamEvent, StreamRequest, ToolCall } from '../types.js'
import { abortError } from './errors.js'

/**
 * The `offline` model: a deterministic stand-in that needs no network and no API key, so a fresh
 * install has an assistant that answers. It is not a language model. It
 *  - calls `current_time` when asked for the time or date, and `calculator` for arithmetic
 *    ("calculate 2+3*4", "what is (1+2)/4?"), when those tools are offered, then answers from the result;
 *  - otherwise answers with a fixed text that quotes the question and says what it is;
 *  - streams every answer in several chunks.
 * Variants for tests and demos: `offline:slow` waits between chunks; `offline:error` fails mid-stream.
 */
export const OFFLINE_MODELS = ['offline', 'offline:slow', 'offline:error'] as const

export interface OfflineProviderOptions {
  /** Milliseconds between chunks of the plain model (0 in tests). */
  delayMs?: number
  /** Milliseconds between chunks of `offline:slow`. */
  slowDelayMs?: number
}

const TIME_INTENT = /\b(what(?:'s| is)? (?:the )?(?:current )?(?:time|date|day)|time is it|current time|today'?s date|what day is (?:it|today)|the time now)\b/i
const CALC_PREFIX = /^(?:please\s+)?(?:calculate|compute|evaluate|solve|what(?:'s| is)|how much is)\s+(.+?)[\s?.!=]*$/i

/** The arithmetic a message asks for, if any (checked with the calculator's own parser). */
export function arithmeticIn(text: string): string | undefined {
  const t = text.trim()
  const m = CALC_PREFIX.exec(t)
  const candidates = m ? [m[1]!] : []
  if (/^[\d\s.()+\-*/^%×÷]+[\s?=]*$/.test(t)) candidates.push(t.replace(/[\s?=]+$/, ''))
  for (const c of candidates) {
    if (!/\d/.test(c)) continue
    try {
      evaluate(c)
      return c.trim()
    } catch (err) {
      if (!(err instanceof CalculatorError)) throw err
    }
  }
  return undefined
}

function chunksOf(text: string, wordsPerChunk = 2): string[] {
  const words = text.match(/\S+\s*/g) ?? [text]
  const out: string[] = []
  for (let i = 0; i < words.length; i += wordsPerChunk) out.push(words.slice(i, i + wordsPerChunk).join(''))
  return out
}

function countWords(messages: ChatMessage[]): number {
  return messages.reduce((n, m) => n + (m.content.match(/\S+/g)?.length ?? 0), 0)
}

function quote(text: string, max = 160): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return t.length > max ? `${t.slice(0, max - 1)}…` : t
}

/** The answer once tools have run: built from the results of the last round of calls. */
function answerFromToolResults(messages: ChatMessage[]): string {
  let i = messages.length
  while (i > 0 && messages[i - 1]!.role === 'tool') i--
  const parts = messages.slice(i).map((m) => {
    let data: Record<string, unknown> | undefined
    try {
      const v = JSON.parse(m.content) as unknown
      if (v && typeof v === 'object') data = v as Record<string, unknown>
    } catch {
      data = undefined
    }
    if (data && typeof data.error === 'string') return `The ${m.name ?? 'tool'} tool failed: ${quote(data.error)}.`
    if (m.name === 'calculator' && data && 'result' in data) return `${String(data.expression)} = ${String(data.result)}.`
    if (m.name === 'current_time' && data && typeof data.formatted === 'string') return `It is ${data.formatted}.`
    return `The ${m.name ?? 'tool'} tool returned: ${quote(m.content, 300)}`
  })
  return parts.join(' ') || 'The tools returned nothing.'
}

export class OfflineProvider implements ModelProvider {
  readonly id = 'offline'
  private readonly delayMs: number
  private readonly slowDelayMs: number

  constructor(options: OfflineProviderOptions = {}) {
    this.delayMs = options.delayMs ?? 0
    this.slowDelayMs = options.slowDelayMs ?? 100
  }

  /** What the offline model does for these messages: call tools, or say a text. Pure and deterministic. */
  decide(request: StreamRequest): { calls: ToolCall[] } | { text: string } {
    const { messages } = request
    const last = messages[messages.length - 1]
    if (last?.role === 'tool') return { text: answerFromToolResults(messages) }
    const offered = new Set((request.tools ?? []).map((t) => t.name))
    const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? ''
    const id = `call_offline_${messages.length}`
    if (offered.has('current_time') && TIME_INTENT.test(question)) return { calls: [{ id, name: 'current_time', arguments: '{}' }] }
    const expression = offered.has('calculator') ? arithmeticIn(question) : undefined
    if (expression) return { calls: [{ id, name: 'calculator', arguments: JSON.stringify({ expression }) }] }
    const intro = question.trim() ? `You said: "${quote(question)}". ` : 'Hello! '
    const hint = offered.size ? `I can call tools (${[...offered].sort().join(', ')}): ask me the time, or to calculate 2+3*4. ` : ''
    return {
      text:
        intro +
        'This is the offline model, a built-in stand-in that answers without network or API key, so it cannot really understand you. ' +
        hint +
        'Set OPENAI_API_KEY or ANTHROPIC_API_KEY and pick a model such as openai:gpt-4o-mini for real answers.'
    }
  }

  async *stream(request: StreamRequest): AsyncIterable<StreamEvent> {
    const { signal } = request
    const variant = request.model
    const delay = variant === 'slow' ? this.slowDelayMs : this.delayMs
    const decision = this.decide(request)
    const usage = { input_tokens: countWords(request.messages), output_tokens: 0 }
    if ('calls' in decision) {
      for (const call of decision.calls) yield { type: 'tool_call', call }
      yield { type: 'done', finishReason: 'tool_calls', usage: { ...usage, output_tokens: decision.calls.length } }
      return
    }
    const chunks = chunksOf(decision.text)
    for (const [i, chunk] of chunks.entries()) {
      if (delay > 0) {
        try {
          await sleep(delay, undefined, { signal })
        } catch {
          // aborted: reported below
        }
      }
      if (signal?.aborted) {
        yield { type: 'error', error: abortError(signal) }
        return
      }
      if (variant === 'error' && i === 2) {
        yield { type: 'error', error: { code: 'unavailable', message: 'offline: simulated provider failure in the middle of the stream' } }
        return
      }
      usage.output_tokens += chunk.match(/\S+/g)?.length ?? 0
      yield { type: 'text', delta: chunk }
    }
    yield { type: 'done', finishReason: 'stop', usage }
  }
}
