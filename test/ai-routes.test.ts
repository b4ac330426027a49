import t from 'tap'
import { ModelRegistry } from '../src/ai/registry.js'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { build, signUp, v1Error } from './helper.js'
import { anthropicText, openaiErrorMidStream, openaiStatus, openaiText, openaiToolCall, startVendorServer } from './vendor-server.js'

// biome-ignore lint/suspicious/noExplicitAny: tests read event payloads loosely
function parseSse(body: string): { event: string; data: Record<string, any> }[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message'
      const data = /^data: (.*)$/m.exec(block)?.[1]
      return { event, data: data ? JSON.parse(data) : undefined }
    })
}

t.test('models, AI suite, runs and the prompt compiler with the offline model', async (t) => {
  const app = await build(t)
  const u = await signUp(app)
  const h = u.auth

  t.test('GET /model lists the configured models, paginated', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/model', headers: h })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { total: 1, page: 1, items: [{ id: 'offline', model_api_source: 'offline', is_default: true, supports_tools: true }] })
    t.equal((await app.inject({ method: 'GET', url: '/api/v1/model' })).statusCode, 401)
  })

  t.test('POST /aisuite/chat answers as a chat completion', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/aisuite/chat',
      headers: h,
      payload: { model: 'offline', messages: [{ role: 'user', content: 'Hello!' }], temperature: 0.7 }
    })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.match(body, { object: 'chat.completion', model: 'offline', choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }] })
    t.match(body.choices[0].message.content, /Hello!/)
    t.ok(body.usage.total_tokens > 0)
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/aisuite/chat',
      headers: h,
      payload: { model: 'mystery:x', messages: [{ role: 'user', content: 'hi' }] }
    })
    t.equal(unknown.statusCode, 422)
    t.equal(v1Error(unknown).error_code, 'UNKNOWN_MODEL')
    const unconfigured = await app.inject({
      method: 'POST',
      url: '/api/v1/aisuite/chat',
      headers: h,
      payload: { model: 'anthropic:claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }
    })
    t.equal(unconfigured.statusCode, 422)
    t.equal(v1Error(unconfigured).error_code, 'MODEL_NOT_CONFIGURED')
    t.match(v1Error(unconfigured).detail, /ANTHROPIC_API_KEY/)
    const empty = await app.inject({ method: 'POST', url: '/api/v1/aisuite/chat', headers: h, payload: { messages: [] } })
    t.equal(empty.statusCode, 422)
  })

  t.test('POST /aisuite/chat streams Server-Sent Events when asked', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/aisuite/chat',
      headers: { ...h, accept: 'text/event-stream' },
      payload: { messages: [{ role: 'user', content: 'Hello!' }] }
    })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /text\/event-stream/)
    t.ok(res.headers['x-request-id'])
    const events = parseSse(res.body)
    const deltas = events.filter((e) => e.event === 'delta')
    t.ok(deltas.length > 2, 'several chunks')
    t.same(
      deltas.map((d) => d.data.index),
      deltas.map((_, i) => i)
    )
    const done = events.at(-1)!
    t.equal(done.event, 'completed')
    t.equal(done.data.choices[0].message.content, deltas.map((d) => d.data.delta).join(''))
    const failing = await app.inject({
      method: 'POST',
      url: '/api/v1/aisuite/chat',
      headers: h,
      payload: { stream: true, model: 'offline:error', messages: [{ role: 'user', content: 'Hello there, how are you?' }] }
    })
    const failed = parseSse(failing.body)
    t.match(failed.at(-1), { event: 'error', data: { status_code: 502, error_code: 'MODEL_UNAVAILABLE' } })
  })

  t.test('POST /run runs an assistant with its tools', async (t) => {
    const a = (
      await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: h, payload: { name: 'Calc', tools: ['calculator', 'current_time'] } })
    ).json()
    const res = await app.inject({ method: 'POST', url: '/api/v1/run', headers: h, payload: { assistant_id: a.id, input: 'calculate 2+3*4' } })
    t.equal(res.statusCode, 200)
    t.match(res.json(), {
      assistant_id: a.id,
      model: 'offline',
      status: 'completed',
      output: '2+3*4 = 14.',
      steps: 2,
      tool_calls: [{ name: 'calculator', arguments: '{"expression":"2+3*4"}', is_error: false, step: 1 }]
    })
    const files = await app.inject({
      method: 'POST',
      url: '/api/v1/run',
      headers: h,
      payload: { assistant_id: a.id, input: 'read this', file_ids: ['01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'] }
    })
    t.equal(files.statusCode, 404, 'a file one cannot read is not found')
    t.equal(v1Error(files).error_code, 'FILE_NOT_FOUND')
    const boundary = '----run'
    const upload = await app.inject({
      method: 'POST',
      url: '/api/v1/files/upload',
      headers: { ...h, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nThe launch code is 4242.\r\n--${boundary}--\r\n`
    })
    t.equal(upload.statusCode, 201, upload.body)
    const withFile = await app.inject({
      method: 'POST',
      url: '/api/v1/run',
      headers: h,
      payload: { assistant_id: a.id, input: 'read this', file_ids: [upload.json().fileid] }
    })
    t.equal(withFile.statusCode, 200)
    t.match(withFile.json().output, /notes\.txt/, "the file's text reaches the model (the offline model quotes what it was given)")
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/run',
      headers: h,
      payload: { assistant_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d', input: 'hi' }
    })
    t.equal(missing.statusCode, 404)
    const other = await signUp(app)
    const draft = (await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: h, payload: { name: 'Secret', status: 'draft' } })).json()
    const hidden = await app.inject({ method: 'POST', url: '/api/v1/run', headers: other.auth, payload: { assistant_id: draft.id, input: 'hi' } })
    t.equal(hidden.statusCode, 404, "another user's draft cannot be run")
  })

  t.test('prompt compiler: deterministic results that follow the schemas', async (t) => {
    const compile = await app.inject({
      method: 'POST',
      url: '/api/v1/prompt_compiler/compile',
      headers: h,
      payload: { prompt: 'Find good restaurants', modelid: 'offline' }
    })
    t.equal(compile.statusCode, 200)
    t.match(compile.json(), { original_prompt: 'Find good restaurants', model: 'offline', compiled_prompt: /Task: Find good restaurants/ })
    const again = await app.inject({ method: 'POST', url: '/api/v1/prompt_compiler/compile', headers: h, payload: { prompt: 'Find good restaurants' } })
    t.equal(again.json().compiled_prompt, compile.json().compiled_prompt)

    const form = await app.inject({
      method: 'POST',
      url: '/api/v1/prompt_compiler/compile/form',
      headers: h,
      payload: { prompt: 'Plan a trip to [destination] for {days} days' }
    })
    t.equal(form.statusCode, 200)
    const f = form.json()
    t.same(
      f.parameters.map((p: { name: string; type: string }) => [p.name, p.type]),
      [
        ['destination', 'string'],
        ['days', 'number']
      ]
    )
    t.match(f.compiled_prompt, /\{\{destination\}\}.*\{\{days\}\}/)
    t.same(f.form_schema.required, ['destination', 'days'])
    t.same(f.form_schema.properties.days.type, 'number')
    const generic = (
      await app.inject({ method: 'POST', url: '/api/v1/prompt_compiler/compile/form', headers: h, payload: { prompt: 'Find good restaurants' } })
    ).json()
    t.same(
      generic.parameters.map((p: { name: string }) => p.name),
      ['context', 'tone', 'length']
    )
    t.same(generic.form_schema.properties.tone.enum, ['neutral', 'friendly', 'formal', 'concise'])

    const values = await app.inject({
      method: 'POST',
      url: '/api/v1/prompt_compiler/update_parameters',
      headers: h,
      payload: {
        prompt: 'Destination: Lisbon, for 5 days, friendly please',
        parameters: [
          { name: 'destination' },
          { name: 'days', type: 'number' },
          { name: 'tone', type: 'enum', options: ['neutral', 'friendly'] },
          { name: 'budget', type: 'number' },
          { name: 'with_kids', type: 'boolean', default: false }
        ],
        template: 'Plan a trip to {{destination}} for {{days}} days ({{budget}})'
      }
    })
    t.equal(values.statusCode, 200)
    t.same(values.json().values, { destination: 'Lisbon', days: 5, tone: 'friendly', budget: null, with_kids: false })
    t.equal(values.json().filled_prompt, 'Plan a trip to Lisbon for 5 days ({{budget}})')
    const dup = await app.inject({
      method: 'POST',
      url: '/api/v1/prompt_compiler/update_parameters',
      headers: h,
      payload: { prompt: 'x', parameters: [{ name: 'a' }, { name: 'a' }] }
    })
    t.equal(dup.statusCode, 422)
    const badDefault = await app.inject({
      method: 'POST',
      url: '/api/v1/prompt_compiler/update_parameters',
      headers: h,
      payload: { prompt: 'x', parameters: [{ name: 'a', default: { x: 1 } }] }
    })
    t.equal(badDefault.statusCode, 422)
  })
})

t.test('AI routes against vendor servers: errors reach the client clearly', async (t) => {
  const vendor = await startVendorServer()
  t.teardown(() => vendor.close())
  const app = await buildApp({
    config: testConfig(),
    models: new ModelRegistry({
      openai: { apiKey: 'sk-test', baseURL: `${vendor.url}/v1` },
      anthropic: { apiKey: 'sk-ant-test', baseURL: vendor.url },
      maxRetries: 0
    })
  })
  t.teardown(() => app.close())
  const u = await signUp(app)
  const chat = (payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/api/v1/aisuite/chat', headers: { ...u.auth, ...headers }, payload })

  const models = (await app.inject({ method: 'GET', url: '/api/v1/model?size=100', headers: u.auth })).json()
  t.equal(models.items[0].id, 'openai:gpt-4o-mini', 'the default model comes first')
  t.ok(models.items.some((m: { id: string }) => m.id.startsWith('anthropic:')))

  vendor.on('/v1/chat/completions', openaiText('Hi ', 'from OpenAI'))
  const ok = await chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(ok.statusCode, 200)
  t.equal(ok.json().choices[0].message.content, 'Hi from OpenAI')
  t.same(ok.json().usage, { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 })

  vendor.on('/v1/messages', anthropicText('Hi ', 'from Claude'))
  const claude = await chat({
    model: 'anthropic:claude-test',
    messages: [
      { role: 'system', content: 'Be nice' },
      { role: 'user', content: 'hi' }
    ]
  })
  t.equal(claude.json().choices[0].message.content, 'Hi from Claude')
  t.equal(claude.json().model, 'anthropic:claude-test')

  vendor.on('/v1/chat/completions', openaiStatus(429, { 'retry-after': '12' }))
  const limited = await chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['retry-after'], '12')
  t.equal(v1Error(limited).error_code, 'MODEL_RATE_LIMITED')

  vendor.on('/v1/chat/completions', openaiErrorMidStream())
  const broken = await chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
  t.equal(broken.statusCode, 502)
  t.equal(v1Error(broken).error_code, 'MODEL_ERROR')

  vendor.on('/v1/chat/completions', openaiErrorMidStream())
  const brokenStream = await chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { accept: 'text/event-stream' })
  t.equal(brokenStream.statusCode, 200)
  const events = parseSse(brokenStream.body)
  t.same(
    events.filter((e) => e.event === 'delta').map((e) => e.data.delta),
    ['Partial ', 'answer']
  )
  t.match(events.at(-1), { event: 'error', data: { status_code: 502, error_code: 'MODEL_ERROR' } })

  // /run with an OpenAI assistant and a tool round.
  const a = (
    await app.inject({
      method: 'POST',
      url: '/api/v1/assistants',
      headers: u.auth,
      payload: { name: 'GPT', model: 'openai:gpt-4o-mini', tools: ['calculator'], system_prompt: 'Use tools.' }
    })
  ).json()
  vendor.on('/v1/chat/completions', openaiToolCall('call_1', 'calculator', '{"expression":"6*7"}'), openaiText('It is 42.'))
  const run = await app.inject({ method: 'POST', url: '/api/v1/run', headers: u.auth, payload: { assistant_id: a.id, input: 'What is 6*7?' } })
  t.equal(run.statusCode, 200)
  t.match(run.json(), {
    output: 'It is 42.',
    model: 'openai:gpt-4o-mini',
    steps: 2,
    tool_calls: [{ id: 'call_1', name: 'calculator', result: '{"expression":"6*7","result":"42"}' }]
  })
  t.match((vendor.requests.at(-2)!.body.messages as unknown[])[0], { role: 'system', content: 'Use tools.' })

  // The prompt compiler asks a real model for JSON, and refuses an answer that is not.
  vendor.on(
    '/v1/chat/completions',
    openaiText('```json\n{"compiled_prompt": "Find {{cuisine}} restaurants", "parameters": [{"name": "cuisine", "type": "string", "required": true}]}\n```')
  )
  const form = await app.inject({
    method: 'POST',
    url: '/api/v1/prompt_compiler/compile/form',
    headers: u.auth,
    payload: { prompt: 'Find restaurants', model: 'openai:gpt-4o-mini' }
  })
  t.equal(form.statusCode, 200)
  t.match(form.json(), {
    compiled_prompt: 'Find {{cuisine}} restaurants',
    parameters: [{ name: 'cuisine', label: 'Cuisine', type: 'string', required: true }],
    model: 'openai:gpt-4o-mini'
  })
  vendor.on('/v1/chat/completions', openaiText('I would rather not.'))
  const refused = await app.inject({
    method: 'POST',
    url: '/api/v1/prompt_compiler/compile/form',
    headers: u.auth,
    payload: { prompt: 'Find restaurants', model: 'openai:gpt-4o-mini' }
  })
  t.equal(refused.statusCode, 502)
  t.match(v1Error(refused).detail, /JSON/)
})
