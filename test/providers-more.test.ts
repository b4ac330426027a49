import t from 'tap'
import { BedrockProvider } from '../src/ai/providers/bedrock.js'
import { ModelRegistry } from '../src/ai/registry.js'
import { generateReply } from '../src/ai/reply.js'
import { builtinRunnable } from '../src/ai/tools/builtin.js'
import { loadConfig } from '../src/config.js'
import { bedrockExceptionMidStream, bedrockStatus, bedrockText, bedrockToolUse, collect, openaiStatus, openaiText, startVendorServer } from './vendor-server.js'

const calculator = builtinRunnable('calculator')!

t.test('groq: GROQ_API_KEY and GROQ_BASE_URL give a provider speaking its OpenAI-compatible API', async (t) => {
  const vendor = await startVendorServer()
  t.teardown(() => vendor.close())
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), GROQ_API_KEY: 'gsk_test', GROQ_BASE_URL: `${vendor.url}/openai/v1` })
  t.equal(config.groqBaseUrl, `${vendor.url}/openai/v1`)
  const registry = ModelRegistry.fromConfig(config)
  t.ok(registry.isConfigured('groq'))
  t.equal(registry.defaultModel, 'groq:llama-3.3-70b-versatile', 'the first configured vendor gives the default model')
  const { provider, model } = registry.resolve('groq:llama-3.3-70b-versatile')

  vendor.on('/openai/v1/chat/completions', openaiText('Fast ', 'answer.'))
  const events = await collect(provider, { model, messages: [{ role: 'user', content: 'hi' }] })
  t.same(
    events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta),
    ['Fast ', 'answer.']
  )
  t.match(events.at(-1), { type: 'done', finishReason: 'stop', usage: { input_tokens: 11, output_tokens: 7 } })
  const sent = vendor.requests.at(-1)!
  t.equal(sent.headers.authorization, 'Bearer gsk_test', 'the Groq key is sent')
  t.match(sent.body, { model: 'llama-3.3-70b-versatile', stream: true, stream_options: { include_usage: true } })

  // The SDK retries once; both answers are 429.
  vendor.on('/openai/v1/chat/completions', openaiStatus(429, { 'retry-after': '0' }), openaiStatus(429, { 'retry-after': '3' }))
  const limited = await collect(provider, { model, messages: [{ role: 'user', content: 'hi' }] })
  t.match(limited, [{ type: 'error', error: { code: 'rate_limited', retryAfter: 3, message: /^groq:/ } }])

  t.throws(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), GROQ_BASE_URL: 'ftp://x' }), /GROQ_BASE_URL/)
})

t.test('bedrock: the AWS SDK against ConverseStream and its binary event stream', async (t) => {
  // Over cleartext HTTP/2, as the SDK's Bedrock client speaks by default.
  const vendor = await startVendorServer({ http2: true })
  t.teardown(() => vendor.close())
  const provider = new BedrockProvider({
    region: 'us-east-1',
    endpoint: vendor.url,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example' },
    maxRetries: 0
  })
  const model = 'amazon.nova-lite-v1:0'
  const path = `/model/${encodeURIComponent(model)}/converse-stream`

  t.test('a text answer streams in pieces, then done with usage', async (t) => {
    vendor.on(path, bedrockText('Hello ', 'from ', 'Bedrock.'))
    const events = await collect(provider, {
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' }
      ],
      temperature: 0.2,
      maxTokens: 100
    })
    t.same(
      events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta),
      ['Hello ', 'from ', 'Bedrock.']
    )
    t.match(events.at(-1), { type: 'done', finishReason: 'stop', usage: { input_tokens: 12, output_tokens: 9 } })
    const sent = vendor.requests.at(-1)!
    t.match(sent.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request/, 'signed with SigV4')
    t.same(sent.body.system, [{ text: 'Be brief.' }])
    t.same(sent.body.messages, [{ role: 'user', content: [{ text: 'hi' }] }])
    t.same(sent.body.inferenceConfig, { temperature: 0.2, maxTokens: 100 })
  })

  t.test('a tool call round through the tool loop', async (t) => {
    vendor.on(path, bedrockToolUse('tooluse_1', 'calculator', '{"expression":"2+3*4"}'), bedrockText('It is ', '14.'))
    const result = await generateReply({ provider, model, messages: [{ role: 'user', content: 'What is 2+3*4?' }], tools: [calculator] })
    t.equal(result.status, 'completed')
    t.equal(result.content, 'It is 14.')
    t.same(result.toolRuns[0]!.call, { id: 'tooluse_1', name: 'calculator', arguments: '{"expression":"2+3*4"}' })
    const [first, second] = vendor.requests.slice(-2)
    t.match(first!.body, { toolConfig: { tools: [{ toolSpec: { name: 'calculator', inputSchema: { json: { type: 'object' } } } }] } })
    const msgs = second!.body.messages as { role: string; content: Record<string, unknown>[] }[]
    t.same(
      msgs.map((m) => m.role),
      ['user', 'assistant', 'user'],
      'turns alternate'
    )
    t.same(msgs[1]!.content, [{ toolUse: { toolUseId: 'tooluse_1', name: 'calculator', input: { expression: '2+3*4' } } }])
    t.match(msgs[2]!.content, [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: /"result":"14"/ }] } }])
  })

  t.test('an exception in the stream is an error event, and the stream ends', async (t) => {
    vendor.on(path, bedrockExceptionMidStream())
    const events = await collect(provider, { model, messages: [{ role: 'user', content: 'hi' }] })
    t.match(events[0], { type: 'text', delta: 'Partial' })
    t.match(events.at(-1), { type: 'error', error: { code: 'rate_limited' } })
    t.notOk(events.some((e) => e.type === 'done'))
  })

  t.test('HTTP errors map to the shared codes', async (t) => {
    vendor.on(path, bedrockStatus(403, 'AccessDeniedException', 'You do not have access to the model'))
    t.match(await collect(provider, { model, messages: [{ role: 'user', content: 'hi' }] }), [{ type: 'error', error: { code: 'auth_failed', status: 403 } }])
    vendor.on(path, bedrockStatus(400, 'ValidationException', 'The provided model identifier is invalid.'))
    t.match(await collect(provider, { model, messages: [{ role: 'user', content: 'hi' }] }), [
      { type: 'error', error: { code: 'bad_request', message: /model identifier/ } }
    ])
  })

  t.test('BEDROCK_REGION offers bedrock models', async (t) => {
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), BEDROCK_REGION: 'eu-west-1', BEDROCK_ENDPOINT: vendor.url })
    const registry = ModelRegistry.fromConfig(config)
    t.ok(registry.isConfigured('bedrock'))
    t.ok(registry.list().some((m) => m.id === 'bedrock:amazon.nova-lite-v1:0'))
    t.equal(registry.resolve('bedrock:amazon.nova-lite-v1:0').model, 'amazon.nova-lite-v1:0')
    t.match(() => new ModelRegistry().resolve('bedrock:amazon.nova-lite-v1:0'), Function)
    t.throws(() => new ModelRegistry().resolve('bedrock:amazon.nova-lite-v1:0'), /BEDROCK_REGION/)
    t.throws(() => loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), BEDROCK_REGION: 'nowhere' }), /BEDROCK_REGION/)
  })
})
