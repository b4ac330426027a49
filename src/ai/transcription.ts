import type OpenAI from 'openai'
import type { ClientOptions } from 'openai'
import { onFirstUse } from './lazy.js'

export interface TranscriptionRequest {
  audio: Buffer
  /** The audio's type, decided from its bytes (`audio/mpeg`, `audio/wav`, ...). */
  mediaType: string
  /** The file name extension the engine reads the format from (`mp3`, `wav`, ...). */
  extension: string
  signal?: AbortSignal
}

/** Turns speech into text. Throws TranscriptionError when it cannot. */
export interface Transcriber {
  /** `openai`. */
  readonly id: string
  transcribe(request: TranscriptionRequest): Promise<string>
}

export class TranscriptionError extends Error {
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message)
    this.name = 'TranscriptionError'
  }
}

/** OpenAI's transcription API through the official `openai` package (any compatible server with `baseURL`). */
export class OpenAITranscriber implements Transcriber {
  readonly id = 'openai'
  private readonly sdk: () => Promise<{ openai: OpenAI; toFile: typeof import('openai').toFile }>
  private readonly model: string

  constructor(options: { apiKey: string; baseURL?: string; model?: string; maxRetries?: number }) {
    const clientOptions: ClientOptions = { apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: options.maxRetries ?? 1, timeout: 120_000 }
    this.sdk = onFirstUse(async () => {
      const { default: OpenAI, toFile } = await import('openai')
      return { openai: new OpenAI(clientOptions), toFile }
    })
    this.model = options.model ?? 'gpt-4o-mini-transcribe'
  }

  async transcribe(request: TranscriptionRequest): Promise<string> {
    try {
      const { openai, toFile } = await this.sdk()
      const file = await toFile(request.audio, `audio.${request.extension}`, { type: request.mediaType })
      const result = await openai.audio.transcriptions.create({ model: this.model, file, response_format: 'json' }, { signal: request.signal })
      return result.text
    } catch (err) {
      const e = err as { status?: number; message?: string }
      throw new TranscriptionError(`openai transcription: ${e.message ?? 'request failed'}`, e.status)
    }
  }
}

/** The engine the configuration gives: OpenAI's transcription API when `OPENAI_API_KEY` is set, else none. */
export function transcriberFromConfig(config: { openaiApiKey?: string; openaiBaseUrl?: string }): Transcriber | undefined {
  return config.openaiApiKey ? new OpenAITranscriber({ apiKey: config.openaiApiKey, baseURL: config.openaiBaseUrl }) : undefined
}
