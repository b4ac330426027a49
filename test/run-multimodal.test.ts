import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { ModelRegistry } from '../src/ai/registry.js'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'
import { build, signUp } from './helper.js'
import { listen } from './ws-helper.js'
import { anthropicText, bedrockText, openaiText, openaiTranscription, startVendorServer } from './vendor-server.js'

/**
 * `POST /api/v1/run` with images, audio and video, as JSON (base64) and as multipart/form-data,
 * over real HTTP, against local stand-ins of the vendors' APIs.
 */

const MiB = 1024 * 1024
/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
/** The start of a JPEG (its signature is what types it). */
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(64, 1)])
/** An MP4 container: an `ftyp` box, then filler. */
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2'), Buffer.alloc(256, 7)])
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n')

/** A short, real WAV: 16-bit mono PCM at 8 kHz, a little noise. */
function wav(samples = 800): Buffer {
  const b = Buffer.alloc(44 + samples * 2)
  b.write('RIFF', 0)
  b.writeUInt32LE(36 + samples * 2, 4)
  b.write('WAVEfmt ', 8)
  b.writeUInt32LE(16, 16)
  b.writeUInt16LE(1, 20)
  b.writeUInt16LE(1, 22)
  b.writeUInt32LE(8000, 24)
  b.writeUInt32LE(16000, 28)
  b.writeUInt16LE(2, 32)
  b.writeUInt16LE(16, 34)
  b.write('data', 36)
  b.writeUInt32LE(samples * 2, 40)
  for (let i = 0; i < samples; i++) b.writeInt16LE(Math.round(Math.sin(i / 3) * 3000), 44 + i * 2)
  return b
}
const WAV = wav()

interface Setup {
  app: FastifyInstance
  http: string
  auth: { authorization: string }
  assistant(model: string, extra?: Record<string, unknown>): Promise<string>
  /** POST /api/v1/run as JSON. */
  json(body: Record<string, unknown>, path?: string): Promise<Response>
  /** POST /api/v1/run as multipart/form-data. */
  form(fields: [string, string | { bytes: Buffer; name: string; type?: string }][], path?: string): Promise<Response>
}

async function setUp(app: FastifyInstance): Promise<Setup> {
  const ada = await signUp(app)
  const http = (await listen(app)).replace('ws://', 'http://')
  return {
    app,
    http,
    auth: ada.auth,
    async assistant(model, extra = {}) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/assistants', headers: ada.auth, payload: { name: `On ${model}`, model, ...extra } })
      if (res.statusCode !== 201) throw new Error(`assistant: ${res.statusCode} ${res.body}`)
      return res.json().id as string
    },
    json: (body, path = '/api/v1/run') =>
      fetch(`${http}${path}`, { method: 'POST', headers: { ...ada.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    form(fields, path = '/api/v1/run') {
      const form = new FormData()
      for (const [name, value] of fields) {
        if (typeof value === 'string') form.append(name, value)
        else form.append(name, new Blob([value.bytes], { type: value.type ?? 'application/octet-stream' }), value.name)
      }
      return fetch(`${http}${path}`, { method: 'POST', headers: ada.auth, body: form })
    }
  }
}

async function v1ErrorOf(res: Response) {
  const body = (await res.json()) as { detail: string; status_code: number; error_code: string; errors?: { field: string; message: string }[] }
  if (body.status_code !== res.status || typeof body.detail !== 'string') throw new Error(`not a v1 error body: ${JSON.stringify(body)}`)
  return body
}

type Part = Record<string, unknown>
/** The content of the last message of a vendor request (the question). */
function lastMessageContent(body: Record<string, unknown>): Part[] {
  const messages = body.messages as { content: Part[] }[]
  return messages.at(-1)!.content
}

t.test('images and video reach the models that take them, on the wire', async (t) => {
  const vendor = await startVendorServer()
  const aws = await startVendorServer({ http2: true })
  t.teardown(() => Promise.all([vendor.close(), aws.close()]))
  const app = await buildApp({
    config: testConfig(),
    models: new ModelRegistry({
      openai: { apiKey: 'sk-test', baseURL: `${vendor.url}/v1` },
      anthropic: { apiKey: 'sk-ant-test', baseURL: vendor.url },
      bedrock: { region: 'us-east-1', endpoint: aws.url, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example' } },
      maxRetries: 0
    })
  })
  t.teardown(() => app.close())
  const s = await setUp(app)

  t.test('GET /model says which models take images and video', async (t) => {
    const models = (await app.inject({ method: 'GET', url: '/api/v1/model?size=100', headers: s.auth })).json().items as {
      id: string
      input_modalities: string[]
    }[]
    const of = (id: string) => models.find((m) => m.id === id)?.input_modalities
    t.same(of('openai:gpt-4o-mini'), ['text', 'image'])
    t.same(of('anthropic:claude-sonnet-4-6'), ['text', 'image'])
    t.same(of('bedrock:amazon.nova-lite-v1:0'), ['text', 'image', 'video'])
    t.same(of('bedrock:meta.llama3-1-8b-instruct-v1:0'), ['text'])
    t.same(of('offline'), ['text'])
  })

  t.test('OpenAI: a JSON image goes as a data URL beside the text', async (t) => {
    const gpt = await s.assistant('openai:gpt-4o-mini')
    vendor.on('/v1/chat/completions', openaiText('A single ', 'pixel.'))
    const res = await s.json({ assistant_id: gpt, input: 'What is in this picture?', images: [{ data: PNG.toString('base64'), content_type: 'image/png' }] })
    t.equal(res.status, 200)
    t.match(await res.json(), { output: 'A single pixel.', model: 'openai:gpt-4o-mini', status: 'completed' })
    t.same(lastMessageContent(vendor.requests.at(-1)!.body), [
      { type: 'text', text: 'What is in this picture?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } }
    ])
  })

  t.test('OpenAI: multipart files, typed from their bytes, and a data URL in JSON', async (t) => {
    const gpt = await s.assistant('openai:gpt-4o')
    vendor.on('/v1/chat/completions', openaiText('Two pictures.'))
    const res = await s.form([
      ['assistant_id', gpt],
      ['input', 'Compare them'],
      ['images', { bytes: PNG, name: 'a.png', type: 'image/png' }],
      ['images', { bytes: JPEG, name: 'b.bin' }]
    ])
    t.equal(res.status, 200, await res.clone().text())
    t.equal(((await res.json()) as { output: string }).output, 'Two pictures.')
    t.same(lastMessageContent(vendor.requests.at(-1)!.body), [
      { type: 'text', text: 'Compare them' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
      { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${JPEG.toString('base64')}` } }
    ])

    vendor.on('/v1/chat/completions', openaiText('Yes.'))
    const dataUrl = await s.json({ assistant_id: gpt, images: [{ data: `data:image/png;base64,${PNG.toString('base64')}` }] })
    t.equal(dataUrl.status, 200, 'an image alone is a question too')
    t.same(lastMessageContent(vendor.requests.at(-1)!.body), [{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } }])
  })

  t.test('Anthropic: an image block before the text', async (t) => {
    const claude = await s.assistant('anthropic:claude-sonnet-4-6')
    vendor.on('/v1/messages', anthropicText('I see ', 'a pixel.'))
    const res = await s.json({ assistant_id: claude, input: 'Describe it', images: [{ data: PNG.toString('base64') }] })
    t.equal(res.status, 200)
    t.equal(((await res.json()) as { output: string }).output, 'I see a pixel.')
    t.same(lastMessageContent(vendor.requests.at(-1)!.body), [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') } },
      { type: 'text', text: 'Describe it' }
    ])
  })

  t.test('Bedrock: an image and a video to Amazon Nova, as bytes', async (t) => {
    const nova = await s.assistant('bedrock:amazon.nova-lite-v1:0')
    aws.on(`/model/${encodeURIComponent('amazon.nova-lite-v1:0')}/converse-stream`, bedrockText('A clip ', 'and a still.'))
    const res = await s.form([
      ['assistant_id', nova],
      ['input', 'What happens?'],
      ['video', { bytes: MP4, name: 'clip.mp4', type: 'video/mp4' }],
      ['images', { bytes: PNG, name: 'still.png', type: 'image/png' }]
    ])
    t.equal(res.status, 200, await res.clone().text())
    t.equal(((await res.json()) as { output: string }).output, 'A clip and a still.')
    t.same(lastMessageContent(aws.requests.at(-1)!.body), [
      { video: { format: 'mp4', source: { bytes: MP4.toString('base64') } } },
      { image: { format: 'png', source: { bytes: PNG.toString('base64') } } },
      { text: 'What happens?' }
    ])
  })

  t.test('models that do not take them refuse images and video clearly, before any call', async (t) => {
    const before = vendor.requests.length
    const offline = await s.assistant('offline')
    const refused = await s.json({ assistant_id: offline, input: 'Look', images: [{ data: PNG.toString('base64') }] })
    t.equal(refused.status, 422)
    const body = await v1ErrorOf(refused)
    t.equal(body.error_code, 'MODEL_INPUT_NOT_SUPPORTED')
    t.match(body.detail, /The model offline of this assistant does not take images/)
    t.match(body.detail, /openai:gpt-4o-mini/, 'it names the models here that do')
    t.same(body.errors, [{ field: 'body.images', message: 'offline does not take images' }])

    const textOnly = await s.assistant('openai:gpt-3.5-turbo')
    const asForm = await s.form([
      ['assistant_id', textOnly],
      ['input', 'Look'],
      ['images', { bytes: PNG, name: 'a.png', type: 'image/png' }]
    ])
    t.equal(asForm.status, 422)
    t.equal((await v1ErrorOf(asForm)).error_code, 'MODEL_INPUT_NOT_SUPPORTED')

    const gpt = await s.assistant('openai:gpt-4o-mini')
    const video = await s.json({ assistant_id: gpt, input: 'Watch', video: { data: MP4.toString('base64') } })
    t.equal(video.status, 422)
    t.match((await v1ErrorOf(video)).detail, /does not take video.*bedrock:amazon\.nova-lite-v1:0/)
    t.equal(vendor.requests.length, before, 'no model was called')
  })
})

t.test('audio is transcribed, and the transcript is the question', async (t) => {
  const vendor = await startVendorServer()
  t.teardown(() => vendor.close())
  const app = await build(t, { openaiApiKey: 'sk-test', openaiBaseUrl: `${vendor.url}/v1` })
  const s = await setUp(app)
  const calc = await s.assistant('offline', { tools: ['calculator'] })

  vendor.on('/v1/audio/transcriptions', openaiTranscription('What is 6*7?'))
  const res = await s.form([
    ['assistant_id', calc],
    ['audio', { bytes: WAV, name: 'question.wav', type: 'audio/wav' }]
  ])
  t.equal(res.status, 200, await res.clone().text())
  t.match(
    await res.json(),
    { transcript: 'What is 6*7?', output: '6*7 = 42.', tool_calls: [{ name: 'calculator' }] },
    'the offline model ran on the transcript'
  )
  const sent = vendor.requests.at(-1)!
  t.equal(sent.path, '/v1/audio/transcriptions')
  t.equal(sent.headers.authorization, 'Bearer sk-test')
  t.match(sent.headers['content-type'], /^multipart\/form-data; boundary=/)
  const upload = sent.raw.toString('latin1')
  t.match(upload, /name="model"\r\n\r\ngpt-4o-mini-transcribe\r\n/)
  t.match(upload, /name="file"; filename="audio\.wav"/, 'named for its type, decided from the bytes')
  t.ok(sent.raw.includes(WAV), 'the audio, byte for byte')

  // JSON, with a text before the transcript.
  vendor.on('/v1/audio/transcriptions', openaiTranscription('hello there'))
  const both = await s.json({ assistant_id: calc, input: 'Answer briefly.', audio: { data: WAV.toString('base64'), content_type: 'audio/x-wav' } })
  t.equal(both.status, 200)
  const answered = (await both.json()) as { transcript: string; output: string }
  t.equal(answered.transcript, 'hello there')
  t.match(answered.output, /You said: "Answer briefly\. hello there"/)

  // A spoken question, a spoken answer.
  vendor.on('/v1/audio/transcriptions', openaiTranscription('Say hi'))
  vendor.on('/v1/audio/speech', (r) => {
    r.writeHead(200, { 'content-type': 'audio/mpeg' })
    r.end(Buffer.from('ID3fake-mp3'))
  })
  const spoken = await s.form(
    [
      ['assistant_id', calc],
      ['format', 'mp3'],
      ['audio', { bytes: WAV, name: 'q.wav' }]
    ],
    '/api/v1/run/audio'
  )
  t.equal(spoken.status, 200, await spoken.clone().text())
  t.equal(spoken.headers.get('content-type'), 'audio/mpeg')
  t.match(vendor.requests.at(-1)!.body, { input: /You said: "Say hi"/ }, 'the answer to the transcript is spoken')

  // The engine failing is a 502 of its own.
  const failed = await s.json({ assistant_id: calc, audio: { data: WAV.toString('base64') } })
  t.equal(failed.status, 502)
  t.equal((await v1ErrorOf(failed)).error_code, 'TRANSCRIPTION_FAILED')
})

t.test('audio without a transcription engine is refused clearly', async (t) => {
  const app = await buildApp({ config: testConfig(), transcriber: null })
  t.teardown(() => app.close())
  const s = await setUp(app)
  const a = await s.assistant('offline')
  const res = await s.json({ assistant_id: a, input: 'Listen', audio: { data: WAV.toString('base64') } })
  t.equal(res.status, 503)
  const body = await v1ErrorOf(res)
  t.equal(body.error_code, 'TRANSCRIPTION_NOT_CONFIGURED')
  t.match(body.detail, /OPENAI_API_KEY/)
  const form = await s.form([
    ['assistant_id', a],
    ['audio', { bytes: WAV, name: 'q.wav', type: 'audio/wav' }]
  ])
  t.equal(form.status, 503)
  t.equal((await v1ErrorOf(form)).error_code, 'TRANSCRIPTION_NOT_CONFIGURED')
})

t.test('oversize, wrong-type and malformed media are refused in the v1 error body', async (t) => {
  const app = await build(t)
  const s = await setUp(app)
  const a = await s.assistant('offline')
  const refusal = async (res: Response, status: number, code: string) => {
    t.equal(res.status, status)
    const body = await v1ErrorOf(res)
    t.equal(body.error_code, code)
    return body
  }

  const big = Buffer.concat([PNG, Buffer.alloc(10 * MiB + 1 - PNG.length)])
  const oversize = await s.form([
    ['assistant_id', a],
    ['images', { bytes: big, name: 'big.png', type: 'image/png' }]
  ])
  t.match((await refusal(oversize, 413, 'FILE_TOO_LARGE')).detail, /images\[0\] is larger than 10 MiB/)
  await refusal(await s.json({ assistant_id: a, images: [{ data: big.toString('base64') }] }), 413, 'FILE_TOO_LARGE')

  const text = await s.form([
    ['assistant_id', a],
    ['images', { bytes: Buffer.from('just some text\n'), name: 'notes.txt', type: 'text/plain' }]
  ])
  t.match((await refusal(text, 415, 'UNSUPPORTED_FILE_TYPE')).detail, /images\[0\] is not of an accepted image type \(PNG, JPG, GIF, WEBP\)/)
  const pdf = await s.json({ assistant_id: a, audio: { data: PDF.toString('base64') } })
  t.match((await refusal(pdf, 415, 'UNSUPPORTED_FILE_TYPE')).detail, /audio .*its bytes are PDF/)
  const lying = await s.json({ assistant_id: a, images: [{ data: PNG.toString('base64'), content_type: 'image/jpeg' }] })
  t.match((await refusal(lying, 415, 'UNSUPPORTED_FILE_TYPE')).detail, /declared image\/jpeg but its bytes are image\/png/)

  const notBase64 = await refusal(await s.json({ assistant_id: a, images: [{ data: 'not base64!' }] }), 422, 'VALIDATION_ERROR')
  t.same(notBase64.errors, [{ field: 'body.images.0.data', message: 'is not base64' }])
  const nine = await s.json({ assistant_id: a, images: Array.from({ length: 9 }, () => ({ data: PNG.toString('base64') })) })
  await refusal(nine, 422, 'VALIDATION_ERROR')
  const strayFile = await s.form([
    ['assistant_id', a],
    ['photo', { bytes: PNG, name: 'a.png' }]
  ])
  t.match((await refusal(strayFile, 422, 'VALIDATION_ERROR')).errors, [{ field: 'body.photo' }])
  const badField = await s.form([
    ['assistant_id', 'not-a-uuid'],
    ['input', 'hi']
  ])
  t.match((await refusal(badField, 422, 'VALIDATION_ERROR')).errors, [{ field: 'body.assistant_id' }])
  const nothing = await s.json({ assistant_id: a })
  t.match((await refusal(nothing, 422, 'VALIDATION_ERROR')).errors, [{ field: 'body.input' }])
  const plain = await fetch(`${s.http}/api/v1/run`, { method: 'POST', headers: { ...s.auth, 'content-type': 'text/plain' }, body: 'hello' })
  await refusal(plain, 415, 'UNSUPPORTED_MEDIA_TYPE')

  // What is accepted as multipart: history as JSON text, file_ids repeated.
  const history = await s.form([
    ['assistant_id', a],
    ['input', 'and now?'],
    ['history', JSON.stringify([{ role: 'user', content: 'first' }])]
  ])
  t.equal(history.status, 200, await history.clone().text())
  t.match(((await history.json()) as { output: string }).output, /You said: "and now\?"/)
  await refusal(
    await s.form([
      ['assistant_id', a],
      ['input', 'x'],
      ['history', '[nope']
    ]),
    422,
    'VALIDATION_ERROR'
  )
})
