import t from 'tap'
import { mediaInputsOf } from '../src/ai/capabilities.js'
import { AnthropicProvider } from '../src/ai/providers/anthropic.js'
import { OpenAIProvider } from '../src/ai/providers/openai.js'
import { generateReply } from '../src/ai/reply.js'
import { builtinRunnable } from '../src/ai/tools/builtin.js'
import {
  anthropicErrorMidStream,
  anthropicStatus,
  anthropicText,
  anthropicToolUse,
  collect,
  openaiCutOff,
  openaiErrorMidStream,
  openaiStatus,
  openaiText,
  openaiToolCall,
  startVendorServer
} from './vendor-server.js'

const calculator = builtinRunnable('calculator')!

t.test('openai: the official SDK against the Chat Completions streaming wire format', async (t) => {
  const vendor = await startVendorServer()
  t.teardown(() => vendor.close())
  const provider = new OpenAIProvider({ apiKey: 'sk-test', baseURL: `${vendor.url}/v1`, maxRetries: 0, includeUsage: true })

  t.test('a text answer streams in pieces, then done with usage', async (t) => {
    vendor.on('/v1/chat/completions', openaiText('Hel', 'lo', ' there'))
    const events = await collect(provider, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3 })
    t.same(
      events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta),
      ['Hel', 'lo', ' there']
    )
    t.same(events.at(-1), { type: 'done', finishReason: 'stop', usage: { input_tokens: 11, output_tokens: 7 } })
    const sent = vendor.requests.at(-1)!
    t.equal(sent.headers.authorization, 'Bearer sk-test')
    t.match(sent.body, { model: 'gpt-4o-mini', stream: true, temperature: 0.3, stream_options: { include_usage: true } })
  })

  t.test('a tool call round through the tool loop', async (t) => {
    vendor.on('/v1/chat/completions', openaiToolCall('call_abc', 'calculator', '{"expression":"2+3*4"}'), openaiText('The answer ', 'is 14.'))
    const deltas: string[] = []
    const statuses: string[] = []
    const result = await generateReply({
      provider,
      model: 'gpt-4o-mini',
      systemPrompt: 'You are terse.',
      messages: [{ role: 'user', content: 'What is 2+3*4?' }],
      tools: [calculator],
      sink: { onDelta: (_i, d) => deltas.push(d), onStatus: (s) => statuses.push(s) }
    })
    t.equal(result.status, 'completed')
    t.equal(result.content, 'The answer is 14.')
    t.same(deltas, ['The answer ', 'is 14.'])
    t.same(statuses, ['thinking', 'streaming', 'idle'])
    t.equal(result.steps, 2)
    t.equal(result.toolRuns.length, 1)
    t.same(result.toolRuns[0]!.call, { id: 'call_abc', name: 'calculator', arguments: '{"expression":"2+3*4"}' })
    t.same(JSON.parse(result.toolRuns[0]!.result.content), { expression: '2+3*4', result: '14' })
    t.same(
      result.transcript.map((m) => m.role),
      ['assistant', 'tool', 'assistant']
    )

    const [first, second] = vendor.requests.slice(-2)
    t.match(first!.body, { tools: [{ type: 'function', function: { name: 'calculator' } }] })
    t.match((first!.body.messages as unknown[])[0], { role: 'system', content: 'You are terse.' })
    const msgs = second!.body.messages as Record<string, unknown>[]
    t.match(msgs.at(-2), {
      role: 'assistant',
      tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'calculator', arguments: '{"expression":"2+3*4"}' } }]
    })
    t.match(msgs.at(-1), { role: 'tool', tool_call_id: 'call_abc' })
    t.same(JSON.parse(msgs.at(-1)!.content as string), { expression: '2+3*4', result: '14' })
  })

  t.test('an error in the middle of the stream is an error event, and the stream ends', async (t) => {
    vendor.on('/v1/chat/completions', openaiErrorMidStream())
    const events = await collect(provider, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    t.same(
      events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta),
      ['Partial ', 'answer']
    )
    const last = events.at(-1)!
    t.equal(last.type, 'error')
    t.match((last as { error: { message: string } }).error.message, /server had an error/)
    t.notOk(events.some((e) => e.type === 'done'))
  })

  t.test('the reply fails with what was streamed so far', async (t) => {
    vendor.on('/v1/chat/completions', openaiErrorMidStream())
    const result = await generateReply({ provider, model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    t.equal(result.status, 'failed')
    t.equal(result.content, 'Partial answer')
    t.ok(result.error)
  })

  t.test('a stream cut off before it finished is an error, not a hang', async (t) => {
    vendor.on('/v1/chat/completions', openaiCutOff())
    const events = await collect(provider, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    t.match(events.at(-1), { type: 'error', error: { code: 'provider_error', message: /ended before/ } })
  })

  t.test('HTTP 429 is a clear rate-limit error with its Retry-After', async (t) => {
    vendor.on('/v1/chat/completions', openaiStatus(429, { 'retry-after': '7' }))
    const events = await collect(provider, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    t.equal(events.length, 1)
    t.match(events[0], { type: 'error', error: { code: 'rate_limited', status: 429, retryAfter: 7, message: /rate limit/i } })
  })

  t.test('HTTP 401 is an auth error', async (t) => {
    vendor.on('/v1/chat/completions', openaiStatus(401, {}, 'Incorrect API key provided'))
    const events = await collect(provider, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    t.match(events[0], { type: 'error', error: { code: 'auth_failed', status: 401 } })
  })

  t.test('a server that cannot be reached is an error event', async (t) => {
    const gone = new OpenAIProvider({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:1/v1', maxRetries: 0 })
    const events = await collect(gone, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    t.match(events, [{ type: 'error', error: { code: 'unavailable' } }])
  })
})

t.test('anthropic: the official SDK against the Messages streaming wire format', async (t) => {
  const vendor = await startVendorServer()
  t.teardown(() => vendor.close())
  const provider = new AnthropicProvider({ apiKey: 'sk-ant-test', baseURL: vendor.url, maxRetries: 0 })

  t.test('a text answer streams in pieces, then done with usage', async (t) => {
    vendor.on('/v1/messages', anthropicText('Hello', ', world'))
    const events = await collect(provider, {
      model: 'claude-test',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' }
      ],
      temperature: 1.5
    })
    t.same(
      events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta),
      ['Hello', ', world']
    )
    t.same(events.at(-1), { type: 'done', finishReason: 'stop', usage: { input_tokens: 25, output_tokens: 15 } })
    const sent = vendor.requests.at(-1)!
    t.ok(sent.headers['x-api-key'] === 'sk-ant-test' || sent.headers.authorization === 'Bearer sk-ant-test', 'the key is sent')
    t.ok(sent.headers['anthropic-version'])
    t.match(sent.body, { model: 'claude-test', stream: true, system: 'Be brief.', temperature: 1, messages: [{ role: 'user', content: 'hi' }] })
    t.type(sent.body.max_tokens, 'number')
  })

  t.test('a tool call round through the tool loop', async (t) => {
    vendor.on('/v1/messages', anthropicToolUse('toolu_01', 'calculator', '{"expression": "(1+2)*5"}'), anthropicText('That is ', '15.'))
    const deltas: string[] = []
    const calls: string[] = []
    const result = await generateReply({
      provider,
      model: 'claude-test',
      messages: [{ role: 'user', content: 'What is (1+2)*5?' }],
      tools: [calculator],
      sink: { onDelta: (_i, d) => deltas.push(d), onToolCall: (c) => calls.push(c.name) }
    })
    t.equal(result.status, 'completed')
    t.equal(result.content, 'Let me check.\n\nThat is 15.')
    t.same(deltas, ['Let me check.', '\n\n', 'That is ', '15.'])
    t.same(calls, ['calculator'])
    t.same(JSON.parse(result.toolRuns[0]!.result.content), { expression: '(1+2)*5', result: '15' })

    const [first, second] = vendor.requests.slice(-2)
    t.match(first!.body, { tools: [{ name: 'calculator', input_schema: { type: 'object' } }] })
    const msgs = second!.body.messages as Record<string, unknown>[]
    t.match(msgs.at(-2), {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_01', name: 'calculator', input: { expression: '(1+2)*5' } }
      ]
    })
    t.match(msgs.at(-1), { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01' }] })
  })

  t.test('an error event in the middle of the stream is an error event, and the stream ends', async (t) => {
    vendor.on('/v1/messages', anthropicErrorMidStream())
    const events = await collect(provider, { model: 'claude-test', messages: [{ role: 'user', content: 'hi' }] })
    t.match(events[0], { type: 'text', delta: 'Partial' })
    t.match(events.at(-1), { type: 'error', error: { code: 'unavailable', message: /Overloaded/ } })
    t.notOk(events.some((e) => e.type === 'done'))
  })

  t.test('a rate-limit error event mid-stream is a rate-limit error', async (t) => {
    vendor.on('/v1/messages', anthropicErrorMidStream('rate_limit_error', 'Number of request tokens has exceeded your rate limit'))
    const events = await collect(provider, { model: 'claude-test', messages: [{ role: 'user', content: 'hi' }] })
    t.match(events.at(-1), { type: 'error', error: { code: 'rate_limited' } })
  })

  t.test('HTTP 429 is a clear rate-limit error with its Retry-After', async (t) => {
    vendor.on('/v1/messages', anthropicStatus(429, 'rate_limit_error', 'Number of requests has exceeded your rate limit', { 'retry-after': '30' }))
    const events = await collect(provider, { model: 'claude-test', messages: [{ role: 'user', content: 'hi' }] })
    t.equal(events.length, 1)
    t.match(events[0], { type: 'error', error: { code: 'rate_limited', status: 429, retryAfter: 30 } })
  })

  t.test('HTTP 529 overloaded is unavailable', async (t) => {
    vendor.on('/v1/messages', anthropicStatus(529, 'overloaded_error', 'Overloaded'))
    const events = await collect(provider, { model: 'claude-test', messages: [{ role: 'user', content: 'hi' }] })
    t.match(events[0], { type: 'error', error: { code: 'unavailable' } })
  })
})

t.test('a stream that stalls is ended by the reply time bound, not left hanging', async (t) => {
  const vendor = await startVendorServer()
  t.teardown(() => vendor.close())
  // Headers and one chunk, then nothing: the connection stays open.
  vendor.on('/v1/chat/completions', (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write(
      `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'Thinking' }, finish_reason: null }] })}\n\n`
    )
  })
  const provider = new OpenAIProvider({ apiKey: 'sk-test', baseURL: `${vendor.url}/v1`, maxRetries: 0 })
  const result = await generateReply({ provider, model: 'm', messages: [{ role: 'user', content: 'hi' }], timeoutMs: 1000 })
  t.equal(result.status, 'failed')
  t.equal(result.error?.code, 'timeout')
  t.equal(result.content, 'Thinking')
})

t.test('images: what each model takes, and attachments an API cannot carry are refused, not dropped', async (t) => {
  const cases: [string, string, string[]][] = [
    ['openai', 'gpt-4o-mini', ['image']],
    ['openai', 'gpt-4.1', ['image']],
    ['openai', 'gpt-3.5-turbo', []],
    ['openai', 'gpt-4', []],
    ['openai', 'o3-mini', []],
    ['openai', 'llava:13b', ['image']],
    ['anthropic', 'claude-sonnet-4-6', ['image']],
    ['anthropic', 'claude-3-5-haiku-latest', ['image']],
    ['anthropic', 'claude-2.1', []],
    ['groq', 'llama-3.3-70b-versatile', []],
    ['groq', 'meta-llama/llama-4-scout-17b-16e-instruct', ['image']],
    ['bedrock', 'us.amazon.nova-pro-v1:0', ['image', 'video']],
    ['bedrock', 'amazon.nova-micro-v1:0', []],
    ['bedrock', 'anthropic.claude-3-5-sonnet-20240620-v1:0', ['image']],
    ['offline', 'default', []]
  ]
  for (const [provider, model, inputs] of cases) t.same(mediaInputsOf(provider, model), inputs, `${provider}:${model}`)

  const vendor = await startVendorServer()
  t.teardown(() => vendor.close())
  const video = { kind: 'video' as const, mediaType: 'video/mp4', data: Buffer.from('not sent') }
  for (const provider of [
    new OpenAIProvider({ apiKey: 'sk-test', baseURL: `${vendor.url}/v1`, maxRetries: 0 }),
    new AnthropicProvider({ apiKey: 'sk-ant-test', baseURL: vendor.url, maxRetries: 0 })
  ]) {
    const events = await collect(provider, { model: 'm', messages: [{ role: 'user', content: 'watch', attachments: [video] }] })
    t.match(events, [{ type: 'error', error: { code: 'bad_request', message: /takes no video input/ } }], provider.id)
  }
  t.equal(vendor.requests.length, 0, 'nothing was sent')
})
