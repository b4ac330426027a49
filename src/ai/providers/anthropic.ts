import type Anthropic from '@anthropic-ai/sdk'
import type { ClientOptions } from '@anthropic-ai/sdk'
import type { ContentBlockParam, ImageBlockParam, MessageParam, Tool, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages/messages'
import type { ChatMessage, FinishReason, ModelProvider, StreamEvent, StreamRequest, ToolCall, Usage } from '../types.js'
import { endOfStream, toModelError, unsupportedAttachments } from './errors.js'
import { onFirstUse } from '../lazy.js'

export interface AnthropicProviderOptions {
  apiKey: string
  baseURL?: string
  maxRetries?: number
  timeoutMs?: number
  /** `max_tokens` when the request names none (the Messages API requires one). */
  defaultMaxTokens?: number
}

/** A tool call's JSON argument text as an object (`{}` when it is not one), as the vendors want the input. */
export function parseInput(args: string): Record<string, unknown> {
  try {
    const v = JSON.parse(args || '{}') as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** Our messages as the Messages API wants them: system apart, tool results as user turns. */
export function toAnthropicMessages(messages: ChatMessage[]): { system?: string; messages: MessageParam[] } {
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n')
  const out: MessageParam[] = []
  for (const m of messages) {
    if (m.role === 'system') continue
    if (m.role === 'tool') {
      const block: ToolResultBlockParam = { type: 'tool_result', tool_use_id: m.toolCallId ?? '', content: m.content }
      const last = out[out.length - 1]
      // Results of several calls of one turn go back together, in one user message.
      if (last && last.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result')) {
        ;(last.content as ContentBlockParam[]).push(block)
      } else out.push({ role: 'user', content: [block] })
      continue
    }
    if (m.role === 'assistant' && m.toolCalls?.length) {
      const blocks: ContentBlockParam[] = []
      if (m.content) blocks.push({ type: 'text', text: m.content })
      for (const c of m.toolCalls) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: parseInput(c.arguments) })
      out.push({ role: 'assistant', content: blocks })
      continue
    }
    if (m.role === 'user' && m.attachments?.length) {
      // Images first, then the text about them, as Anthropic advises.
      const blocks: ContentBlockParam[] = m.attachments.map(
        (a): ImageBlockParam => ({
          type: 'image',
          source: { type: 'base64', media_type: a.mediaType as 'image/png', data: a.data.toString('base64') }
        })
      )
      if (m.content) blocks.push({ type: 'text', text: m.content })
      out.push({ role: 'user', content: blocks })
      continue
    }
    out.push({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content })
  }
  return { system: system || undefined, messages: out }
}

function finishReasonOf(r: string | null | undefined): FinishReason {
  if (r === 'tool_use') return 'tool_calls'
  if (r === 'max_tokens') return 'length'
  if (r === 'refusal') return 'content_filter'
  return 'stop'
}

/** The Messages API, streaming, through the official `@anthropic-ai/sdk`. */
export class AnthropicProvider implements ModelProvider {
  readonly id = 'anthropic'
  private readonly sdk: () => Promise<Anthropic>
  private readonly defaultMaxTokens: number

  constructor(options: AnthropicProviderOptions) {
    const clientOptions: ClientOptions = {
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? 1,
      timeout: options.timeoutMs ?? 60_000
    }
    this.sdk = onFirstUse(async () => new (await import('@anthropic-ai/sdk')).default(clientOptions))
    this.defaultMaxTokens = options.defaultMaxTokens ?? 4096
  }

  async *stream(request: StreamRequest): AsyncIterable<StreamEvent> {
    const { signal } = request
    const refused = unsupportedAttachments(this.id, request.messages, ['image'])
    if (refused) {
      yield refused
      return
    }
    const { system, messages } = toAnthropicMessages(request.messages)
    const tools: Tool[] | undefined = request.tools?.length
      ? request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters as Tool['input_schema'] }))
      : undefined
    // Anthropic's temperature runs from 0 to 1; ours (OpenAI's) to 2.
    const temperature = request.temperature === undefined ? undefined : Math.min(1, Math.max(0, request.temperature))
    const blocks = new Map<number, { kind: 'text' } | { kind: 'tool'; call: ToolCall }>()
    const calls: ToolCall[] = []
    let stopReason: string | null | undefined
    let stopped = false
    const usage: Usage = { input_tokens: 0, output_tokens: 0 }
    try {
      const stream = await (await this.sdk()).messages.create(
        {
          model: request.model,
          max_tokens: request.maxTokens ?? this.defaultMaxTokens,
          messages,
          stream: true,
          ...(system ? { system } : {}),
          ...(tools ? { tools } : {}),
          ...(temperature !== undefined ? { temperature } : {})
        },
        { signal }
      )
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            usage.input_tokens = event.message.usage?.input_tokens ?? 0
            usage.output_tokens = event.message.usage?.output_tokens ?? 0
            break
          case 'content_block_start': {
            const b = event.content_block
            if (b.type === 'tool_use') blocks.set(event.index, { kind: 'tool', call: { id: b.id, name: b.name, arguments: '' } })
            else if (b.type === 'text') {
              blocks.set(event.index, { kind: 'text' })
              if (b.text) yield { type: 'text', delta: b.text }
            }
            break
          }
          case 'content_block_delta': {
            const d = event.delta
            if (d.type === 'text_delta') yield { type: 'text', delta: d.text }
            else if (d.type === 'input_json_delta') {
              const b = blocks.get(event.index)
              if (b?.kind === 'tool') b.call.arguments += d.partial_json
            }
            break
          }
          case 'content_block_stop': {
            const b = blocks.get(event.index)
            if (b?.kind === 'tool') calls.push({ ...b.call, arguments: b.call.arguments || '{}' })
            break
          }
          case 'message_delta':
            stopReason = event.delta.stop_reason
            if (event.usage?.output_tokens !== undefined) usage.output_tokens = event.usage.output_tokens
            break
          case 'message_stop':
            stopped = true
            break
        }
      }
    } catch (err) {
      yield { type: 'error', error: toModelError(err, this.id, signal) }
      return
    }
    yield* endOfStream(this.id, signal, stopped, calls, finishReasonOf(stopReason), usage)
  }
}
