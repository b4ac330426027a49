import t from 'tap'
import { OfflineProvider } from '../src/ai/providers/offline.js'
import { ModelRegistry } from '../src/ai/registry.js'
import { generateReply } from '../src/ai/reply.js'
import { builtinRunnable } from '../src/ai/tools/builtin.js'
import type { RunnableTool } from '../src/ai/tools/types.js'
import type { ModelProvider, StreamEvent, StreamRequest } from '../src/ai/types.js'

const tools = [builtinRunnable('current_time')!, builtinRunnable('calculator')!]

/** A provider that follows a script: each model call takes the next list of events. */
function scripted(...calls: StreamEvent[][]): ModelProvider & { requests: StreamRequest[] } {
  const requests: StreamRequest[] = []
  return {
    id: 'scripted',
    requests,
    async *stream(request) {
      requests.push({ ...request, messages: [...request.messages] })
      const events = calls.shift() ?? [{ type: 'error', error: { code: 'provider_error', message: 'script ran out' } }]
      for (const e of events) yield e
    }
  }
}

t.test('offline: a calculation goes through the tool loop, in order', async (t) => {
  const log: string[] = []
  const indexes: number[] = []
  const result = await generateReply({
    provider: new OfflineProvider(),
    model: 'default',
    messages: [{ role: 'user', content: 'Please calculate (2+3)*4' }],
    tools,
    sink: {
      onStatus: (s) => log.push(`status:${s}`),
      onDelta: (i) => {
        indexes.push(i)
        if (i === 0) log.push('delta')
      },
      onToolCall: (c) => log.push(`call:${c.name}`),
      onToolResult: (r) => log.push(`result:${r.name}:${r.isError}`)
    }
  })
  t.equal(result.status, 'completed')
  t.equal(result.content, '(2+3)*4 = 20.')
  t.same(log, ['status:thinking', 'call:calculator', 'result:calculator:false', 'status:streaming', 'delta', 'status:idle'])
  t.same(
    indexes,
    indexes.map((_, i) => i),
    'chunk indexes count from 0 with no gap'
  )
  t.ok(indexes.length >= 2, 'the answer streams in several chunks')
  t.same(
    result.transcript.map((m) => m.role),
    ['assistant', 'tool', 'assistant']
  )
  t.equal(result.transcript[1]!.toolCallId, result.transcript[0]!.toolCalls![0]!.id)
})

t.test('offline: the time, plain answers, and no tools offered', async (t) => {
  const time = await generateReply({ provider: new OfflineProvider(), model: 'default', messages: [{ role: 'user', content: 'What time is it?' }], tools })
  t.match(time.content, /^It is .*\d{4}/)
  t.equal(time.toolRuns[0]!.call.name, 'current_time')

  const plain = await generateReply({ provider: new OfflineProvider(), model: 'default', messages: [{ role: 'user', content: 'Tell me a story' }], tools })
  t.match(plain.content, /Tell me a story/)
  t.match(plain.content, /offline model/)
  t.equal(plain.toolRuns.length, 0)

  const noTools = await generateReply({ provider: new OfflineProvider(), model: 'default', messages: [{ role: 'user', content: 'calculate 1+1' }] })
  t.equal(noTools.toolRuns.length, 0, 'no tool is called when none is offered')

  const again = await generateReply({ provider: new OfflineProvider(), model: 'default', messages: [{ role: 'user', content: 'Tell me a story' }], tools })
  t.equal(again.content, plain.content, 'deterministic')
})

t.test('offline:error fails mid-stream with what was streamed', async (t) => {
  const registry = new ModelRegistry()
  const m = registry.resolve('offline:error')
  const result = await generateReply({ provider: m.provider, model: m.model, messages: [{ role: 'user', content: 'hello' }] })
  t.equal(result.status, 'failed')
  t.equal(result.error?.code, 'unavailable')
  t.ok(result.content.length > 0)
})

t.test('a reply can be cancelled', async (t) => {
  const controller = new AbortController()
  const deltas: string[] = []
  const result = await generateReply({
    provider: new OfflineProvider({ slowDelayMs: 20 }),
    model: 'slow',
    messages: [{ role: 'user', content: 'a long answer please' }],
    signal: controller.signal,
    sink: {
      onDelta: (_i, d) => {
        deltas.push(d)
        controller.abort()
      }
    }
  })
  t.equal(result.status, 'cancelled')
  t.equal(result.error?.code, 'cancelled')
  t.same(deltas.length, 1)
  t.equal(result.content, deltas.join(''))
})

t.test('the tool loop is bounded in steps', async (t) => {
  const call = (n: number): StreamEvent[] => [
    { type: 'tool_call', call: { id: `c${n}`, name: 'calculator', arguments: '{"expression":"1+1"}' } },
    { type: 'done', finishReason: 'tool_calls' }
  ]
  const provider = scripted(call(1), call(2), call(3), call(4))
  const result = await generateReply({ provider, model: 'm', messages: [{ role: 'user', content: 'loop' }], tools, maxSteps: 3 })
  t.equal(result.status, 'failed')
  t.equal(result.error?.code, 'tool_loop_limit')
  t.equal(result.steps, 3)
  t.equal(provider.requests.length, 3, 'no model call past the bound')
  t.equal(result.toolRuns.length, 2)
})

t.test('tool failures go back to the model, which goes on', async (t) => {
  const never: RunnableTool = {
    id: 'never',
    spec: { name: 'never', description: 'never answers', parameters: { type: 'object' } },
    run: () => new Promise<string>(() => {})
  }
  const thrower: RunnableTool = {
    id: 'thrower',
    spec: { name: 'thrower', description: 'throws', parameters: { type: 'object' } },
    run: async () => {
      throw new Error('boom')
    }
  }
  const provider = scripted(
    [
      { type: 'tool_call', call: { id: 'a', name: 'never', arguments: '{}' } },
      { type: 'tool_call', call: { id: 'b', name: 'thrower', arguments: '{}' } },
      { type: 'tool_call', call: { id: 'c', name: 'missing', arguments: '{}' } },
      { type: 'tool_call', call: { id: 'd', name: 'calculator', arguments: '{not json' } },
      { type: 'tool_call', call: { id: 'e', name: 'calculator', arguments: '{"expression":"1/0"}' } },
      { type: 'done', finishReason: 'tool_calls' }
    ],
    [
      { type: 'text', delta: 'Sorry.' },
      { type: 'done', finishReason: 'stop' }
    ]
  )
  const result = await generateReply({
    provider,
    model: 'm',
    messages: [{ role: 'user', content: 'go' }],
    tools: [...tools, never, thrower],
    toolTimeoutMs: 30
  })
  t.equal(result.status, 'completed')
  t.equal(result.content, 'Sorry.')
  const errors = result.toolRuns.map((r) => [r.call.id, r.result.isError, JSON.parse(r.result.content).error])
  t.match(errors, [
    ['a', true, /did not finish/],
    ['b', true, 'boom'],
    ['c', true, /no tool named missing/],
    ['d', true, /Invalid arguments/],
    ['e', true, /Division by zero/]
  ])
  const second = provider.requests[1]!.messages
  t.equal(second.filter((m) => m.role === 'tool').length, 5, 'every result went back to the model')
})

t.test('a provider that throws still gives a failed reply', async (t) => {
  const provider: ModelProvider = {
    id: 'broken',
    // biome-ignore lint/correctness/useYield: a provider that fails before its first chunk
    async *stream() {
      throw new Error('bug')
    }
  }
  const statuses: string[] = []
  const result = await generateReply({ provider, model: 'm', messages: [{ role: 'user', content: 'x' }], sink: { onStatus: (s) => statuses.push(s) } })
  t.equal(result.status, 'failed')
  t.equal(result.error?.code, 'provider_error')
  t.same(statuses, ['thinking', 'idle'])
})

t.test('model names', async (t) => {
  const r = new ModelRegistry({ openai: { apiKey: 'k' } })
  t.equal(r.defaultModel, 'openai:gpt-4o-mini')
  t.equal(r.resolve('openai:llama3.2:3b').model, 'llama3.2:3b', 'a vendor name may contain colons')
  t.equal(r.resolve('gpt-4').id, 'openai:gpt-4', 'a bare vendor name is read as its vendor')
  t.equal(r.resolve('offline').id, 'offline')
  t.throws(() => r.resolve('anthropic:claude-x'), /ANTHROPIC_API_KEY/)
  t.throws(() => r.resolve('mystery:model'), /Unknown model/)
  t.equal(new ModelRegistry().defaultModel, 'offline')
  t.same(
    new ModelRegistry().list().map((m) => m.id),
    ['offline']
  )
  t.equal(r.list()[0]!.id, 'openai:gpt-4o-mini')
  t.ok(r.list()[0]!.is_default)
})
