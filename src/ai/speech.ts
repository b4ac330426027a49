import { execFile, spawn } from 'node:child_process'
import type OpenAI from 'openai'
import type { ClientOptions } from 'openai'
import { onFirstUse } from './lazy.js'

export type AudioFormat = 'mp3' | 'wav'

export const AUDIO_CONTENT_TYPE: Record<AudioFormat, string> = { mp3: 'audio/mpeg', wav: 'audio/wav' }

export interface SpeechRequest {
  text: string
  format: AudioFormat
  /** The engine's own voice name; its default when omitted. */
  voice?: string
  signal?: AbortSignal
}

export interface Speech {
  audio: Buffer
  format: AudioFormat
}

/** Turns text into speech. Throws SpeechError when it cannot. */
export interface SpeechSynthesizer {
  /** `openai`, `espeak-ng`. */
  readonly id: string
  /** The formats it makes; a request for another gets the first. */
  readonly formats: readonly AudioFormat[]
  synthesize(request: SpeechRequest): Promise<Speech>
}

export class SpeechError extends Error {
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message)
    this.name = 'SpeechError'
  }
}

/** OpenAI's speech API through the official `openai` package (any compatible server with `baseURL`). */
export class OpenAISpeech implements SpeechSynthesizer {
  readonly id = 'openai'
  readonly formats = ['mp3', 'wav'] as const
  private readonly sdk: () => Promise<OpenAI>

  constructor(options: { apiKey: string; baseURL?: string; model?: string; maxRetries?: number }) {
    const clientOptions: ClientOptions = { apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: options.maxRetries ?? 1, timeout: 60_000 }
    this.sdk = onFirstUse(async () => new (await import('openai')).default(clientOptions))
    this.model = options.model ?? 'gpt-4o-mini-tts'
  }

  private readonly model: string

  async synthesize(request: SpeechRequest): Promise<Speech> {
    try {
      const response = await (await this.sdk()).audio.speech.create(
        { model: this.model, voice: request.voice ?? 'alloy', input: request.text, response_format: request.format },
        { signal: request.signal }
      )
      return { audio: Buffer.from(await response.arrayBuffer()), format: request.format }
    } catch (err) {
      const e = err as { status?: number; message?: string }
      throw new SpeechError(`openai speech: ${e.message ?? 'request failed'}`, e.status)
    }
  }
}

/** Longest text given to the local engine (it reads it all; a reply longer than this is cut). */
const ESPEAK_MAX_CHARS = 20_000

/** Whether each engine command answered `--version`: every app a process builds asks the same. */
const installed = new Map<string, Promise<boolean>>()

/** The local `espeak-ng` engine: no network, WAV only. */
export class EspeakSpeech implements SpeechSynthesizer {
  readonly id = 'espeak-ng'
  readonly formats = ['wav'] as const

  constructor(private readonly command = 'espeak-ng') {}

  /** Whether the engine is installed (on PATH); asked once per process and command. */
  static available(command = 'espeak-ng'): Promise<boolean> {
    let answer = installed.get(command)
    if (!answer) {
      answer = new Promise((resolve) => execFile(command, ['--version'], (err) => resolve(!err)))
      installed.set(command, answer)
    }
    return answer
  }

  synthesize(request: SpeechRequest): Promise<Speech> {
    return new Promise((resolve, reject) => {
      const args = ['--stdout', '--stdin', ...(request.voice ? ['-v', request.voice] : [])]
      // The text goes on stdin, never on the command line.
      const child = spawn(this.command, args, { signal: request.signal, stdio: ['pipe', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      let err = ''
      child.stdout.on('data', (c: Buffer) => out.push(c))
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString()
      })
      child.on('error', (e) => reject(new SpeechError(`espeak-ng: ${e.message}`)))
      child.on('close', (code) => {
        if (code === 0 && out.length) resolve({ audio: Buffer.concat(out), format: 'wav' })
        else reject(new SpeechError(`espeak-ng failed (${code}): ${err.trim().slice(0, 300) || 'no audio'}`))
      })
      child.stdin.on('error', () => {}) // a refused voice ends the process before it reads
      child.stdin.end(request.text.slice(0, ESPEAK_MAX_CHARS))
    })
  }
}

/**
 * The engine the configuration gives: OpenAI's speech API when `OPENAI_API_KEY` is set, else
 * `espeak-ng` when it is installed, else none.
 */
export async function speechFromConfig(config: { openaiApiKey?: string; openaiBaseUrl?: string }): Promise<SpeechSynthesizer | undefined> {
  if (config.openaiApiKey) return new OpenAISpeech({ apiKey: config.openaiApiKey, baseURL: config.openaiBaseUrl })
  if (await EspeakSpeech.available()) return new EspeakSpeech()
  return undefined
}
