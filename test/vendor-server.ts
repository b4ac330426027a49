import http from 'node:http'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { crc32 } from 'node:zlib'
import type { ModelProvider, StreamEvent, StreamRequest } from '../src/ai/types.js'

/**
 * A local stand-in for a model vendor's HTTP API: each request to a path takes the next scripted
 * answer. Answers speak the vendors' real streaming wire formats (Server-Sent Events).
 */
export interface Recorded {
  path: string
  headers: http.IncomingHttpHeaders
  /** The body parsed as JSON (`{}` when it is not JSON, e.g. a multipart upload). */
  body: Record<string, unknown>
  /** The body's bytes as they came. */
  raw: Buffer
}

/** A response, over HTTP/1.1 or HTTP/2 (its compatibility API has the same methods). */
type Response = http.ServerResponse | http2.Http2ServerResponse
export type Script = (res: http.ServerResponse, body: Record<string, unknown>) => void | Promise<void>

export interface VendorServer {
  url: string
  requests: Recorded[]
  /** Queue answers for a path, used in order. */
  on(path: string, ...scripts: Script[]): void
  close(): Promise<void>
}

/**
 * `http2`: speak cleartext HTTP/2 (prior knowledge), as the AWS SDK's Bedrock client does by default.
 */
export async function startVendorServer(options: { http2?: boolean } = {}): Promise<VendorServer> {
  const queues = new Map<string, Script[]>()
  const requests: Recorded[] = []
  const handle = (req: http.IncomingMessage | http2.Http2ServerRequest, res: Response) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const path = (req.url ?? '').split('?')[0]!
      const raw = Buffer.concat(chunks)
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>
      } catch {
        body = {}
      }
      requests.push({ path, headers: req.headers, body, raw })
      const script = queues.get(path)?.shift()
      if (!script) {
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { message: `no scripted answer for ${path}`, type: 'server_error' } }))
        return
      }
      await script(res as http.ServerResponse, body)
    })
  }
  const sessions = new Set<http2.Http2Session>()
  const server = options.http2 ? http2.createServer(handle) : http.createServer(handle)
  server.on('session', (session: http2.Http2Session) => {
    sessions.add(session)
    session.on('close', () => sessions.delete(session))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on(path, ...scripts) {
      queues.set(path, [...(queues.get(path) ?? []), ...scripts])
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections()
        for (const session of sessions) session.destroy()
        server.close(() => resolve())
      })
  }
}

/** Every event a provider's stream yields for a request. */
export async function collect(provider: ModelProvider, request: StreamRequest): Promise<StreamEvent[]> {
  const out: StreamEvent[] = []
  for await (const ev of provider.stream(request)) out.push(ev)
  return out
}

function sse(res: http.ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
}

// ------------------------------------------------------------------ OpenAI Chat Completions

const base = { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-mini', system_fingerprint: 'fp_test' }

function chunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) {
  return `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`
}

/** A streamed text answer, in pieces, with a usage chunk and `[DONE]`. */
export function openaiText(...pieces: string[]): Script {
  return (res) => {
    sse(res)
    res.write(chunk({ role: 'assistant', content: '' }))
    for (const p of pieces) res.write(chunk({ content: p }))
    res.write(chunk({}, 'stop'))
    res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } })}\n\n`)
    res.end('data: [DONE]\n\n')
  }
}

/** A streamed tool call: id and name in the first fragment, the arguments split over later ones. */
export function openaiToolCall(id: string, name: string, args: string): Script {
  return (res) => {
    sse(res)
    res.write(chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }))
    const mid = Math.floor(args.length / 2)
    res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, mid) } }] }))
    res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(mid) } }] }))
    res.write(chunk({}, 'tool_calls'))
    res.end('data: [DONE]\n\n')
  }
}

/** Some text, then an error object in the stream, as OpenAI sends when a stream fails. */
export function openaiErrorMidStream(): Script {
  return (res) => {
    sse(res)
    res.write(chunk({ role: 'assistant', content: 'Partial ' }))
    res.write(chunk({ content: 'answer' }))
    res.end(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null } })}\n\n`)
  }
}

/** Some text, then the connection ends with no finish and no `[DONE]`. */
export function openaiCutOff(): Script {
  return (res) => {
    sse(res)
    res.write(chunk({ role: 'assistant', content: 'Half an ans' }))
    res.end()
  }
}

export function openaiStatus(status: number, headers: Record<string, string> = {}, message = 'Rate limit reached for requests'): Script {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(
      JSON.stringify({
        error: { message, type: status === 429 ? 'requests' : 'server_error', param: null, code: status === 429 ? 'rate_limit_exceeded' : null }
      })
    )
  }
}

/** A transcription (`/v1/audio/transcriptions`), as OpenAI answers with `response_format: json`. */
export function openaiTranscription(text: string): Script {
  return (res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ text, usage: { type: 'duration', seconds: 2 } }))
  }
}

// ------------------------------------------------------------------ Anthropic Messages

function event(res: http.ServerResponse, type: string, data: Record<string, unknown>) {
  res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
}

function messageStart(res: http.ServerResponse) {
  event(res, 'message_start', {
    message: {
      id: 'msg_test',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-sonnet-4-5',
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 25, output_tokens: 1 }
    }
  })
}

export function anthropicText(...pieces: string[]): Script {
  return (res) => {
    sse(res)
    messageStart(res)
    event(res, 'content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
    res.write('event: ping\ndata: {"type": "ping"}\n\n')
    for (const p of pieces) event(res, 'content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } })
    event(res, 'content_block_stop', { index: 0 })
    event(res, 'message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } })
    event(res, 'message_stop', {})
    res.end()
  }
}

/** A text block, then a tool_use block whose input arrives as input_json_delta pieces. */
export function anthropicToolUse(id: string, name: string, input: string, preface = 'Let me check.'): Script {
  return (res) => {
    sse(res)
    messageStart(res)
    event(res, 'content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
    event(res, 'content_block_delta', { index: 0, delta: { type: 'text_delta', text: preface } })
    event(res, 'content_block_stop', { index: 0 })
    event(res, 'content_block_start', { index: 1, content_block: { type: 'tool_use', id, name, input: {} } })
    event(res, 'content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } })
    const mid = Math.floor(input.length / 2)
    event(res, 'content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: input.slice(0, mid) } })
    event(res, 'content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: input.slice(mid) } })
    event(res, 'content_block_stop', { index: 1 })
    event(res, 'message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 40 } })
    event(res, 'message_stop', {})
    res.end()
  }
}

/** Text, then `event: error` (overloaded), as Anthropic sends when a stream fails. */
export function anthropicErrorMidStream(type = 'overloaded_error', message = 'Overloaded'): Script {
  return (res) => {
    sse(res)
    messageStart(res)
    event(res, 'content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
    event(res, 'content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Partial' } })
    res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`)
  }
}

export function anthropicStatus(status: number, type: string, message: string, headers: Record<string, string> = {}): Script {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify({ type: 'error', error: { type, message } }))
  }
}

// ------------------------------------------------------------------ AWS Bedrock ConverseStream

/**
 * One message of the AWS event-stream binary framing Bedrock streams in: a prelude (total and
 * headers length, big-endian, with its CRC32), string headers (name length, name, type 7, value
 * length, value), the JSON payload, and the CRC32 of all that.
 */
function eventStreamMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const encoded = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name)
      const v = Buffer.from(value)
      const length = Buffer.alloc(2)
      length.writeUInt16BE(v.length)
      return Buffer.concat([Buffer.from([n.length]), n, Buffer.from([7]), length, v])
    })
  )
  const prelude = Buffer.alloc(12)
  prelude.writeUInt32BE(12 + encoded.length + payload.length + 4, 0)
  prelude.writeUInt32BE(encoded.length, 4)
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8)
  const body = Buffer.concat([prelude, encoded, payload])
  const trailer = Buffer.alloc(4)
  trailer.writeUInt32BE(crc32(body))
  return Buffer.concat([body, trailer])
}

function awsEvent(res: http.ServerResponse, type: string, data: Record<string, unknown>, messageType: 'event' | 'exception' = 'event') {
  const headers = {
    [messageType === 'event' ? ':event-type' : ':exception-type']: type,
    ':content-type': 'application/json',
    ':message-type': messageType
  }
  res.write(eventStreamMessage(headers, Buffer.from(JSON.stringify(data))))
}

function awsStream(res: http.ServerResponse) {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-test' })
  awsEvent(res, 'messageStart', { role: 'assistant' })
}

function awsEnd(res: http.ServerResponse, stopReason: string) {
  awsEvent(res, 'messageStop', { stopReason })
  awsEvent(res, 'metadata', { usage: { inputTokens: 12, outputTokens: 9, totalTokens: 21 }, metrics: { latencyMs: 5 } })
  res.end()
}

/** A text answer in pieces. */
export function bedrockText(...pieces: string[]): Script {
  return (res) => {
    awsStream(res)
    for (const p of pieces) awsEvent(res, 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: p } })
    awsEvent(res, 'contentBlockStop', { contentBlockIndex: 0 })
    awsEnd(res, 'end_turn')
  }
}

/** A tool use block whose input arrives in pieces of JSON text. */
export function bedrockToolUse(id: string, name: string, input: string): Script {
  return (res) => {
    awsStream(res)
    awsEvent(res, 'contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: id, name } } })
    const mid = Math.floor(input.length / 2)
    awsEvent(res, 'contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: input.slice(0, mid) } } })
    awsEvent(res, 'contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: input.slice(mid) } } })
    awsEvent(res, 'contentBlockStop', { contentBlockIndex: 0 })
    awsEnd(res, 'tool_use')
  }
}

/** Text, then an exception in the stream (throttling). */
export function bedrockExceptionMidStream(type = 'throttlingException', message = 'Too many requests, please wait before trying again.'): Script {
  return (res) => {
    awsStream(res)
    awsEvent(res, 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Partial' } })
    awsEvent(res, type, { message }, 'exception')
    res.end()
  }
}

/** An HTTP error answer, as AWS JSON protocols send it (`x-amzn-errortype`). */
export function bedrockStatus(status: number, type: string, message: string): Script {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` })
    res.end(JSON.stringify({ message }))
  }
}
