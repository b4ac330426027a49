/**
 * The one interface every model provider sits behind. Streaming first: a provider turns a request
 * into a sequence of events and never throws; a failure is an `error` event, after which the
 * stream ends. Nothing here knows of HTTP routes or the database.
 */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool'

/** A tool call the model asked for. `arguments` is the JSON text the model produced. */
export interface ToolCall {
  id: string
  name: string
  arguments: string
}

/** What a model may take besides text: pictures and video, passed to the models that take them. */
export type MediaInputKind = 'image' | 'video'

/** An image or a video that goes with a person's message, as bytes of a type decided from them. */
export interface MediaAttachment {
  kind: MediaInputKind
  /** `image/png`, `image/jpeg`, `image/gif`, `image/webp`; `video/mp4`, `video/webm`, `video/quicktime`, `video/x-matroska`. */
  mediaType: string
  data: Buffer
}

export interface ChatMessage {
  role: ChatRole
  content: string
  /** On a user message: the images and video it shows the model. */
  attachments?: MediaAttachment[]
  /** On an assistant message: the tools it called. */
  toolCalls?: ToolCall[]
  /** On a tool message: the call it answers, and the tool's name. */
  toolCallId?: string
  name?: string
}

/** A tool as a model sees it: a name, what it does, and a JSON Schema of its arguments. */
export interface ToolSpec {
  name: string
  description: string
  parameters: Record<string, unknown>
}

export interface StreamRequest {
  /** The provider's own model name (the part after `provider:`). */
  model: string
  messages: ChatMessage[]
  tools?: ToolSpec[]
  temperature?: number
  maxTokens?: number
  signal?: AbortSignal
}

export interface Usage {
  input_tokens: number
  output_tokens: number
}

export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter'

/**
 * Why a model call failed. `rate_limited` (HTTP 429 or a rate-limit error event), `timeout`, `cancelled`
 * (the caller aborted), `auth_failed` (a bad key), `bad_request` (the provider refused the request),
 * `unavailable` (5xx, overloaded, connection refused), `not_configured` (no key for the provider),
 * `unknown_model`, `provider_error` (anything else, e.g. a stream that broke off), `tool_loop_limit`
 * (the model still called tools when the step bound was reached).
 */
export type ModelErrorCode =
  | 'rate_limited'
  | 'timeout'
  | 'cancelled'
  | 'auth_failed'
  | 'bad_request'
  | 'unavailable'
  | 'not_configured'
  | 'unknown_model'
  | 'provider_error'
  | 'tool_loop_limit'

export interface ModelError {
  code: ModelErrorCode
  message: string
  /** The provider's HTTP status, when there was one. */
  status?: number
  /** Seconds to wait before retrying, when the provider said. */
  retryAfter?: number
}

export type StreamEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'done'; finishReason: FinishReason; usage?: Usage }
  | { type: 'error'; error: ModelError }

export interface ModelProvider {
  /** `openai`, `anthropic`, `groq`, `offline`. */
  readonly id: string
  stream(request: StreamRequest): AsyncIterable<StreamEvent>
}
