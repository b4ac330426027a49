import type { BedrockRuntimeClient, BedrockRuntimeClientConfig, ContentBlock, ConverseStreamOutput, Message, Tool } from '@aws-sdk/client-bedrock-runtime'
import type { ChatMessage, FinishReason, ModelProvider, StreamEvent, StreamRequest, ToolCall, Usage } from '../types.js'
import { parseInput } from './anthropic.js'
import { endOfStream, toModelError } from './errors.js'
import { onFirstUse } from '../lazy.js'

export interface BedrockProviderOptions {
  region: string
  /** Another endpoint than the region's (a VPC endpoint, a local stand-in). */
  endpoint?: string
  /** Static credentials; omitted, the SDK's default chain is used (environment, profile, SSO, instance role, ...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  maxRetries?: number
  timeoutMs?: number
}

/** The Converse API's name of each image and video type we pass on. */
const BEDROCK_FORMAT: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'video/quicktime': 'mov',
  'video/x-matroska': 'mkv'
}

/**
 * Our messages as the Converse API wants them: system apart; turns alternate user/assistant, so
 * tool results (user turns) of one step go back together and consecutive turns of a role merge.
 */
export function toBedrockMessages(messages: ChatMessage[]): { system: { text: string }[]; messages: Message[] } {
  const system = messages.filter((m) => m.role === 'system' && m.content).map((m) => ({ text: m.content }))
  const out: Message[] = []
  const push = (role: 'user' | 'assistant', blocks: ContentBlock[]) => {
    if (!blocks.length) return
    const last = out[out.length - 1]
    if (last && last.role === role) last.content = [...(last.content ?? []), ...blocks]
    else out.push({ role, content: blocks })
  }
  for (const m of messages) {
    if (m.role === 'system') continue
    if (m.role === 'tool') {
      push('user', [{ toolResult: { toolUseId: m.toolCallId ?? '', content: [{ text: m.content || '(empty)' }] } }])
      continue
    }
    const blocks: ContentBlock[] = []
    // Images and video first, then the text about them.
    for (const a of m.role === 'user' ? (m.attachments ?? []) : []) {
      const format = BEDROCK_FORMAT[a.mediaType]
      if (!format) continue
      blocks.push(
        a.kind === 'image'
          ? { image: { format: format as never, source: { bytes: a.data } } }
          : { video: { format: format as never, source: { bytes: a.data } } }
      )
    }
    if (m.content) blocks.push({ text: m.content })
    if (m.role === 'assistant') {
      for (const c of m.toolCalls ?? []) blocks.push({ toolUse: { toolUseId: c.id, name: c.name, input: parseInput(c.arguments) as never } })
    }
    push(m.role === 'assistant' ? 'assistant' : 'user', blocks.length ? blocks : [{ text: ' ' }])
  }
  return { system, messages: out }
}

function finishReasonOf(r: string | undefined): FinishReason {
  if (r === 'tool_use') return 'tool_calls'
  if (r === 'max_tokens' || r === 'model_context_window_exceeded') return 'length'
  if (r === 'guardrail_intervened' || r === 'content_filtered') return 'content_filter'
  return 'stop'
}

/** The HTTP status an exception in the stream stands for, so it maps like a vendor's HTTP error. */
const STREAM_EXCEPTION_STATUS: Record<string, number> = {
  ThrottlingException: 429,
  ValidationException: 400,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  ModelStreamErrorException: 424
}

/** AWS Bedrock's ConverseStream API through `@aws-sdk/client-bedrock-runtime`. */
export class BedrockProvider implements ModelProvider {
  readonly id = 'bedrock'
  private readonly sdk: () => Promise<{
    client: BedrockRuntimeClient
    ConverseStreamCommand: typeof import('@aws-sdk/client-bedrock-runtime').ConverseStreamCommand
  }>

  constructor(options: BedrockProviderOptions) {
    const clientConfig: BedrockRuntimeClientConfig = {
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      maxAttempts: (options.maxRetries ?? 1) + 1,
      requestHandler: { requestTimeout: options.timeoutMs ?? 60_000 }
    }
    this.sdk = onFirstUse(async () => {
      const { BedrockRuntimeClient, ConverseStreamCommand } = await import('@aws-sdk/client-bedrock-runtime')
      return { client: new BedrockRuntimeClient(clientConfig), ConverseStreamCommand }
    })
  }

  async *stream(request: StreamRequest): AsyncIterable<StreamEvent> {
    const { signal } = request
    const { system, messages } = toBedrockMessages(request.messages)
    const tools: Tool[] | undefined = request.tools?.length
      ? request.tools.map((t) => ({ toolSpec: { name: t.name, description: t.description, inputSchema: { json: t.parameters as never } } }))
      : undefined
    const calls = new Map<number, ToolCall>()
    let stop: string | undefined
    let usage: Usage | undefined
    try {
      const { client, ConverseStreamCommand } = await this.sdk()
      const response = await client.send(
        new ConverseStreamCommand({
          modelId: request.model,
          messages,
          ...(system.length ? { system } : {}),
          ...(tools ? { toolConfig: { tools } } : {}),
          inferenceConfig: {
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
            ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {})
          }
        }),
        { abortSignal: signal }
      )
      for await (const event of response.stream ?? ([] as ConverseStreamOutput[])) {
        if (event.contentBlockStart?.start?.toolUse) {
          const { toolUseId, name } = event.contentBlockStart.start.toolUse
          calls.set(event.contentBlockStart.contentBlockIndex ?? calls.size, { id: toolUseId ?? `call_${calls.size}`, name: name ?? '', arguments: '' })
        } else if (event.contentBlockDelta?.delta) {
          const { delta, contentBlockIndex } = event.contentBlockDelta
          if (delta.text) yield { type: 'text', delta: delta.text }
          else if (delta.toolUse?.input !== undefined) {
            const call = calls.get(contentBlockIndex ?? -1)
            if (call) call.arguments += delta.toolUse.input
          }
        } else if (event.messageStop) {
          stop = event.messageStop.stopReason ?? 'end_turn'
        } else if (event.metadata?.usage) {
          usage = { input_tokens: event.metadata.usage.inputTokens ?? 0, output_tokens: event.metadata.usage.outputTokens ?? 0 }
        }
      }
    } catch (err) {
      yield { type: 'error', error: toModelError(fromAwsError(err), this.id, signal) }
      return
    }
    const ordered = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c)
    yield* endOfStream(this.id, signal, stop !== undefined, ordered, finishReasonOf(stop), usage)
  }
}

/** An AWS SDK error carries its HTTP status in `$metadata`; the shared mapping reads `status`. */
function fromAwsError(err: unknown): unknown {
  const e = err as { $metadata?: { httpStatusCode?: number }; name?: string; message?: string; code?: string } | undefined
  if (!e || typeof e !== 'object') return err
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return err
  // An exception in the event stream comes after a 200: its name says what it is.
  const status = (e.name && STREAM_EXCEPTION_STATUS[e.name]) ?? e.$metadata?.httpStatusCode
  if (status && status !== 200) return { status, message: e.message, name: e.name }
  if (e.name === 'CredentialsProviderError') return { status: 401, message: `no AWS credentials in the default chain (${e.message})` }
  // No HTTP answer at all: a refused connection or a DNS failure.
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND') return { name: 'APIConnectionError', message: e.message }
  return err
}
