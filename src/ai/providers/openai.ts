import type OpenAI from 'openai'
import type { ClientOptions } from 'openai'
import type { ChatCompletionContentPart, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions'
import type { ChatMessage, FinishReason, ModelProvider, StreamEvent, StreamRequest, ToolCall, Usage } from '../types.js'
import { endOfStream, toModelError, unsupportedAttachments } from './errors.js'
import { onFirstUse } from '../lazy.js'

export interface OpenAIProviderOptions {
  /** `openai`, `groq`, or another name for an OpenAI-compatible server. */
  id?: string
  apiKey: string
  /** Any OpenAI-compatible server: OpenAI, Groq, Ollama (`http://localhost:11434/v1`), vLLM, ... */
  baseURL?: string
  /** Retries the SDK makes on 429/5xx before a stream starts. */
  maxRetries?: number
  /** Milliseconds the SDK waits for a response. */
  timeoutMs?: number
  /** Ask for usage in the last chunk (`stream_options.include_usage`); some compatible servers refuse it. */
  includeUsage?: boolean
}

function toOpenAIMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content }
      case 'user': {
        if (!m.attachments?.length) return { role: 'user', content: m.content }
        // Images go as data URLs beside the text.
        const parts: ChatCompletionContentPart[] = m.content ? [{ type: 'text', text: m.content }] : []
        for (const a of m.attachments) parts.push({ type: 'image_url', image_url: { url: `data:${a.mediaType};base64,${a.data.toString('base64')}` } })
        return { role: 'user', content: parts }
      }
      case 'tool':
        return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content }
      case 'assistant':
        return m.toolCalls?.length
          ? {
              role: 'assistant',
              content: m.content || null,
              tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments || '{}' } }))
            }
          : { role: 'assistant', content: m.content }
      default:
        throw new Error(`unknown message role: ${(m as { role: string }).role}`)
    }
  })
}

/** OpenAI's reasoning models refuse a temperature other than the default. */
const REASONING_MODEL = /^(o\d|gpt-5(?!.*chat))/

function finishReasonOf(r: string | null | undefined): FinishReason {
  if (r === 'tool_calls' || r === 'function_call') return 'tool_calls'
  if (r === 'length') return 'length'
  if (r === 'content_filter') return 'content_filter'
  return 'stop'
}

/** Chat Completions streaming through the official `openai` package. */
export class OpenAIProvider implements ModelProvider {
  readonly id: string
  private readonly sdk: () => Promise<OpenAI>
  private readonly includeUsage: boolean
  /** OpenAI itself (no base URL): newer parameter names, and reasoning models that take no temperature. */
  private readonly official: boolean

  constructor(options: OpenAIProviderOptions) {
    this.id = options.id ?? 'openai'
    const clientOptions: ClientOptions = {
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? 1,
      timeout: options.timeoutMs ?? 60_000
    }
    this.sdk = onFirstUse(async () => new (await import('openai')).default(clientOptions))
    this.includeUsage = options.includeUsage ?? !options.baseURL
    this.official = !options.baseURL
  }

  async *stream(request: StreamRequest): AsyncIterable<StreamEvent> {
    const { signal } = request
    const refused = unsupportedAttachments(this.id, request.messages, ['image'])
    if (refused) {
      yield refused
      return
    }
    const tools: ChatCompletionTool[] | undefined = request.tools?.length
      ? request.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }))
      : undefined
    // Tool-call fragments arrive by index: the first carries id and name, later ones more arguments.
    const calls = new Map<number, ToolCall>()
    let finish: string | null | undefined
    let usage: Usage | undefined
    try {
      const stream = await (await this.sdk()).chat.completions.create(
        {
          model: request.model,
          messages: toOpenAIMessages(request.messages),
          stream: true,
          ...(tools ? { tools } : {}),
          ...(request.temperature !== undefined && !(this.official && REASONING_MODEL.test(request.model)) ? { temperature: request.temperature } : {}),
          ...(request.maxTokens !== undefined ? (this.official ? { max_completion_tokens: request.maxTokens } : { max_tokens: request.maxTokens }) : {}),
          ...(this.includeUsage ? { stream_options: { include_usage: true } } : {})
        },
        { signal }
      )
      for await (const chunk of stream) {
        if (chunk.usage) usage = { input_tokens: chunk.usage.prompt_tokens ?? 0, output_tokens: chunk.usage.completion_tokens ?? 0 }
        const choice = chunk.choices?.[0]
        if (!choice) continue
        const delta = choice.delta
        if (delta?.content) yield { type: 'text', delta: delta.content }
        for (const tc of delta?.tool_calls ?? []) {
          const prior = calls.get(tc.index)
          if (!prior) calls.set(tc.index, { id: tc.id ?? `call_${tc.index}`, name: tc.function?.name ?? '', arguments: tc.function?.arguments ?? '' })
          else {
            if (tc.id) prior.id = tc.id
            // OpenAI names the function once; some compatible servers repeat it in every fragment.
            if (tc.function?.name && !prior.name) prior.name = tc.function.name
            if (tc.function?.arguments) prior.arguments += tc.function.arguments
          }
        }
        if (choice.finish_reason) finish = choice.finish_reason
      }
    } catch (err) {
      yield { type: 'error', error: toModelError(err, this.id, signal) }
      return
    }
    // The SDK ends the iteration quietly when the signal fires: endOfStream reports the abort.
    const ordered = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c)
    yield* endOfStream(this.id, signal, Boolean(finish), ordered, finishReasonOf(finish ?? null), usage)
  }
}
