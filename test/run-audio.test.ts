import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { EspeakSpeech } from '../src/ai/speech.js'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { build, signUp } from './helper.js'
import { listen } from './ws-helper.js'
import { startVendorServer } from './vendor-server.js'

async function setUp(app: FastifyInstance) {
  const ada = await signUp(app)
  const res = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: ada.auth, payload: { name: 'Speaker', model: 'offline' } })
  const http = (await listen(app)).replace('ws://', 'http://')
  const run = (body: Record<string, unknown>) =>
    fetch(`${http}/api/v1/run/audio`, {
      method: 'POST',
      headers: { ...ada.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ assistant_id: res.json().id, ...body })
    })
  return { run }
}

t.test("with OPENAI_API_KEY the answer is spoken by OpenAI's speech API", async (t) => {
  const vendor = await startVendorServer()
  t.teardown(() => vendor.close())
  const mp3 = Buffer.from('ID3\x04\x00fake-mp3-bytes')
  const wav = Buffer.from('RIFF\x00\x00\x00\x00WAVEfake')
  vendor.on(
    '/v1/audio/speech',
    (res) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg' })
      res.end(mp3)
    },
    (res) => {
      res.writeHead(200, { 'content-type': 'audio/wav' })
      res.end(wav)
    }
  )
  const app = await build(t, { openaiApiKey: 'sk-test', openaiBaseUrl: `${vendor.url}/v1` })
  const { run } = await setUp(app)

  const res = await run({ input: 'Say hello' })
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'audio/mpeg')
  t.equal(res.headers.get('x-model'), 'offline', 'the assistant ran on its own model')
  t.ok(res.headers.get('x-run-id'))
  t.same(Buffer.from(await res.arrayBuffer()), mp3, "the vendor's audio, byte for byte")
  const sent = vendor.requests.at(-1)!
  t.equal(sent.headers.authorization, 'Bearer sk-test')
  t.match(sent.body, { model: 'gpt-4o-mini-tts', voice: 'alloy', response_format: 'mp3', input: /You said: "Say hello"/ }, "the assistant's answer is spoken")

  const asWav = await run({ input: 'Again', format: 'wav', voice: 'coral' })
  t.equal(asWav.headers.get('content-type'), 'audio/wav')
  t.same(Buffer.from(await asWav.arrayBuffer()), wav)
  t.match(vendor.requests.at(-1)!.body, { voice: 'coral', response_format: 'wav' })

  const bad = await run({ input: 'x', format: 'ogg' })
  t.equal(bad.status, 422)
  const failing = await run({ input: 'x' }) // no scripted answer left: the vendor says 500
  t.equal(failing.status, 502)
  t.match(await failing.json(), { error_code: 'SPEECH_FAILED' })
})

const espeak = await EspeakSpeech.available()

t.test('offline, espeak-ng speaks the answer as WAV', { skip: espeak ? false : 'espeak-ng is not installed (.ci/run installs it)' }, async (t) => {
  const app = await build(t)
  const { run } = await setUp(app)
  const res = await run({ input: 'Hello there', format: 'mp3' })
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'audio/wav', 'the local engine makes WAV, whatever is asked')
  const audio = Buffer.from(await res.arrayBuffer())
  t.equal(audio.subarray(0, 4).toString(), 'RIFF')
  t.equal(audio.subarray(8, 12).toString(), 'WAVE')
  t.ok(audio.length > 10_000, `a real recording (${audio.length} bytes)`)

  const voiced = await run({ input: 'Bonjour', voice: 'fr' })
  t.equal(voiced.status, 200)
  t.equal(
    Buffer.from(await voiced.arrayBuffer())
      .subarray(0, 4)
      .toString(),
    'RIFF',
    'in the voice asked for'
  )
})

t.test('with no engine, a 503 says what to configure', async (t) => {
  const app = await buildApp({ config: testConfig(), speech: null })
  t.teardown(() => app.close())
  await app.ready()
  const { run } = await setUp(app)
  const res = await run({ input: 'Hello' })
  t.equal(res.status, 503)
  const body = (await res.json()) as { error_code: string; detail: string; status_code: number }
  t.equal(body.error_code, 'SPEECH_NOT_CONFIGURED')
  t.equal(body.status_code, 503)
  t.match(body.detail, /OPENAI_API_KEY/)
  t.match(body.detail, /espeak-ng/)
})
