import type { ChatMessage, FinishReason, MediaInputKind, ModelError, StreamEvent, ToolCall, Usage } from '../types.js'

interface ApiErrorLike {
  name?: string
  message?: string
  status?: number
  headers?: Headers | Record<string, string>
  error?: unknown
  type?: string
  code?: string
  cause?: unknown
}

function header(headers: ApiErrorLike['headers'], name: string): string | undefined {
  if (!headers) return undefined
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  return (headers as Record<string, string>)[name]
}

function retryAfterOf(headers: ApiErrorLike['headers']): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'))
  if (Number.isFinite(ms) && ms > 0) return Math.max(1, Math.ceil(ms / 1000))
  const raw = header(headers, 'retry-after')
  if (!raw) return undefined
  const s = Number(raw)
  if (Number.isFinite(s) && s >= 0) return Math.ceil(s)
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000))
}

/** The error type a vendor put in an error body or mid-stream error event (`rate_limit_error`, `overloaded_error`, ...). */
function vendorType(e: ApiErrorLike): string | undefined {
  if (typeof e.type === 'string') return e.type
  const body = e.error as { type?: unknown; error?: { type?: unknown; code?: unknown } } | undefined
  const t = body?.error?.type ?? body?.type ?? body?.error?.code
  return typeof t === 'string' ? t : undefined
}

function clean(message: string | undefined, fallback: string): string {
  const m = (message ?? '').replace(/\s+/g, ' ').trim()
  return m ? m.slice(0, 500) : fallback
}

/**
 * Turns whatever a vendor SDK threw into a ModelError. `signal` is the caller's: when it has fired,
 * the reason decides between `timeout` and `cancelled`, whatever the SDK threw.
 */
export function toModelError(err: unknown, provider: string, signal?: AbortSignal): ModelError {
  if (signal?.aborted) return abortError(signal)
  const e = (err ?? {}) as ApiErrorLike
  // The SDKs' error classes keep the generic `name` "Error"; their class names tell them apart.
  const className = (err as { constructor?: { name?: string } } | undefined)?.constructor?.name ?? ''
  const name = className && className !== 'Error' && className !== 'Object' ? className : (e.name ?? '')
  const type = vendorType(e)
  const label = `${provider}: ${clean(e.message, 'request failed')}`
  if (name === 'APIConnectionTimeoutError' || name === 'TimeoutError') return { code: 'timeout', message: `${provider}: the model did not answer in time` }
  if (name === 'APIUserAbortError' || name === 'AbortError') return { code: 'cancelled', message: `${provider}: the request was cancelled` }
  if (e.status === 429 || type === 'rate_limit_error' || type === 'rate_limit_exceeded') {
    const retryAfter = retryAfterOf(e.headers)
    return {
      code: 'rate_limited',
      message: `${provider}: rate limit reached${retryAfter !== undefined ? `, retry after ${retryAfter}s` : ''} (${clean(e.message, '429')})`,
      status: 429,
      retryAfter
    }
  }
  if (e.status === 401 || e.status === 403 || type === 'authentication_error' || type === 'permission_error') {
    return { code: 'auth_failed', message: `${provider}: the API key was refused (${clean(e.message, String(e.status))})`, status: e.status }
  }
  if (type === 'overloaded_error' || (typeof e.status === 'number' && e.status >= 500)) {
    return { code: 'unavailable', message: label, status: e.status }
  }
  if (typeof e.status === 'number' && e.status >= 400) return { code: 'bad_request', message: label, status: e.status }
  if (name === 'APIConnectionError') return { code: 'unavailable', message: `${provider}: could not connect (${clean(e.message, 'connection error')})` }
  return { code: 'provider_error', message: label }
}

/** The error for a request whose signal fired: `timeout` when the reason is a TimeoutError, else `cancelled`. */
export function abortError(signal: AbortSignal): ModelError {
  const reason = signal.reason as { name?: string } | undefined
  return reason?.name === 'TimeoutError'
    ? { code: 'timeout', message: 'The model did not finish in time' }
    : { code: 'cancelled', message: 'The reply was cancelled' }
}

/**
 * How a vendor stream ends, the same for every provider: an aborted or cut-off stream is an
 * error; otherwise the tool calls it made, then `done`.
 */
export function* endOfStream(
  provider: string,
  signal: AbortSignal | undefined,
  finished: boolean,
  calls: ToolCall[],
  finishReason: FinishReason,
  usage?: Usage
): Generator<StreamEvent> {
  if (signal?.aborted) {
    yield { type: 'error', error: abortError(signal) }
    return
  }
  if (!finished) {
    yield { type: 'error', error: { code: 'provider_error', message: `${provider}: the stream ended before the reply was finished` } }
    return
  }
  for (const call of calls) yield { type: 'tool_call', call }
  yield { type: 'done', finishReason: calls.length ? 'tool_calls' : finishReason, usage }
}

/**
 * The error event for attachments a provider's API cannot carry (video to OpenAI, say), so they
 * are refused rather than silently left out; undefined when every attachment can go.
 */
export function unsupportedAttachments(provider: string, messages: ChatMessage[], accepted: readonly MediaInputKind[]): StreamEvent | undefined {
  const kind = messages.flatMap((m) => m.attachments ?? []).find((a) => !accepted.includes(a.kind))?.kind
  if (!kind) return undefined
  return { type: 'error', error: { code: 'bad_request', message: `${provider}: this API takes no ${kind} input` } }
}
