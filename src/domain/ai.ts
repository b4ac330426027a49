import {
  compileFormOffline,
  compileFormWithModel,
  compileOffline,
  compileWithModel,
  type Complete,
  extractParametersOffline,
  extractParametersWithModel,
  fillTemplate,
  type ParameterValue,
  PromptCompilerError,
  type PromptParameter
} from '../ai/prompt-compiler.js'
import { type ModelInfo, type ModelRegistry, ModelResolutionError, type ResolvedModel } from '../ai/registry.js'
import { generateReply, type ReplyResult, type ReplySink } from '../ai/reply.js'
import { type AudioFormat, SpeechError, type SpeechSynthesizer } from '../ai/speech.js'
import { type Transcriber, TranscriptionError } from '../ai/transcription.js'
import type { ChatMessage, FinishReason, MediaInputKind, ModelError } from '../ai/types.js'
import type { AssistantService } from './assistants.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import { type Page, type PageQuery, pageWindow, toPage } from './pagination.js'
import type { Principal } from './principal.js'
import type { ToolService } from './tools.js'
import type { FileService } from './files.js'
import { checkRunMedia, type IncomingMedia, RUN_MEDIA, type RunMedia } from './media.js'

/** The DomainError a failed model call becomes at an HTTP boundary. */
export function modelErrorToDomain(e: ModelError): DomainError {
  switch (e.code) {
    case 'rate_limited':
      return new DomainError('MODEL_RATE_LIMITED', e.message, undefined, { retryAfter: e.retryAfter })
    case 'timeout':
      return new DomainError('MODEL_TIMEOUT', e.message)
    case 'unknown_model':
      return new DomainError('UNKNOWN_MODEL', e.message, [{ field: 'body.model', message: e.message }])
    case 'not_configured':
      return new DomainError('MODEL_NOT_CONFIGURED', e.message, [{ field: 'body.model', message: e.message }])
    case 'bad_request':
      return new DomainError('MODEL_REQUEST_REJECTED', e.message)
    case 'unavailable':
      return new DomainError('MODEL_UNAVAILABLE', e.message)
    case 'cancelled':
      return new DomainError('REQUEST_CANCELLED', e.message)
    default:
      return new DomainError('MODEL_ERROR', e.message)
  }
}

export interface ChatInput {
  model?: string
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[]
  temperature?: number
  max_tokens?: number
}

export interface ChatCompletionRecord {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: { index: number; message: { role: 'assistant'; content: string }; finish_reason: FinishReason }[]
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number }
}

export interface RunInput {
  assistant_id: string
  /** The text; may be left out when audio, images or video are sent. */
  input?: string
  file_ids?: string[]
  history?: { role: 'system' | 'user' | 'assistant'; content: string }[]
  /** Images and video for the model, audio to transcribe, as they arrived. */
  media?: IncomingMedia[]
}

export interface RunRecord {
  id: string
  assistant_id: string
  model: string
  status: 'completed'
  output: string
  tool_calls: { id: string; name: string; arguments: string; result: string; is_error: boolean; step: number }[]
  steps: number
  finish_reason: FinishReason
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number }
  /** What was heard in the audio, when audio was sent. */
  transcript?: string
  created_at: string
}

export interface PromptParameterInput {
  name: string
  type?: PromptParameter['type']
  label?: string
  description?: string
  required?: boolean
  default?: ParameterValue
  options?: string[]
}

export interface AiServiceOptions {
  /** Model calls per reply at most (tool rounds included). */
  maxSteps?: number
  /** A reply's time bound in ms. */
  replyTimeoutMs?: number
  /** One tool run's time bound in ms. */
  toolTimeoutMs?: number
  /** What speaks an answer (`run/audio`); none when no engine is configured. */
  speech?: SpeechSynthesizer
  /** What turns audio sent to a run into text; none when no engine is configured. */
  transcriber?: Transcriber
}

export interface RunAudioInput extends RunInput {
  format?: AudioFormat
  voice?: string
}

/** The configuration of a reply by an assistant: what `generateReply` needs besides messages and a sink. */
export interface AssistantReplyPlan {
  assistantId: string
  resolved: ResolvedModel
  systemPrompt: string | null
  temperature: number
  tools: ReturnType<ToolService['runnables']>
}

function usageRecord(u: ReplyResult['usage']) {
  return { prompt_tokens: u.input_tokens, completion_tokens: u.output_tokens, total_tokens: u.input_tokens + u.output_tokens }
}

/** An assistant's system prompt, with its personality folded in. */
export function systemPromptOf(a: { name: string; personality: string | null; systemPrompt: string | null }): string | null {
  const parts: string[] = []
  if (a.systemPrompt?.trim()) parts.push(a.systemPrompt.trim())
  if (a.personality?.trim()) parts.push(`Your name is ${a.name}. Personality: ${a.personality.trim()}`)
  return parts.length ? parts.join('\n\n') : null
}

/**
 * Models and what runs on them: the model list, one-off chat completions, runs of an
 * assistant with its tools, and the prompt compiler.
 */
export class AiService {
  constructor(
    readonly models: ModelRegistry,
    private readonly assistants: AssistantService,
    private readonly tools: ToolService,
    private readonly options: AiServiceOptions = {},
    private readonly files?: Pick<FileService, 'readForModel'>
  ) {}

  listModels(_p: Principal, q: PageQuery): Page<ModelInfo> {
    const w = pageWindow(q)
    const all = this.models.list()
    return toPage(all.slice(w.offset, w.offset + w.size), all.length, w)
  }

  /** Resolves a model name or throws the DomainError the caller should see (422). */
  resolveModel(name: string | undefined | null): ResolvedModel {
    try {
      return this.models.resolve(name)
    } catch (err) {
      if (err instanceof ModelResolutionError) throw modelErrorToDomain(err.error)
      throw err
    }
  }

  /** Everything a reply by this assistant needs; the caller must be allowed to see the assistant. */
  planAssistantReply(p: Principal, assistantId: string): AssistantReplyPlan {
    const a = this.assistants.requireVisible(p, assistantId)
    return {
      assistantId: a.id,
      resolved: this.resolveModel(a.model),
      systemPrompt: systemPromptOf(a),
      temperature: a.temperature,
      tools: this.tools.runnables(a.tools)
    }
  }

  /** Runs the tool loop for a plan. Never throws: failures are in the result. */
  reply(plan: AssistantReplyPlan, messages: ChatMessage[], sink?: ReplySink, signal?: AbortSignal): Promise<ReplyResult> {
    return generateReply({
      provider: plan.resolved.provider,
      model: plan.resolved.model,
      messages,
      systemPrompt: plan.systemPrompt,
      temperature: plan.temperature,
      tools: plan.tools,
      maxSteps: this.options.maxSteps,
      timeoutMs: this.options.replyTimeoutMs,
      toolTimeoutMs: this.options.toolTimeoutMs,
      signal,
      sink
    })
  }

  /** A chat completion, streamed to `sink` as it comes when one is given. Throws a DomainError when the model fails. */
  async chat(_p: Principal, input: ChatInput, sink?: ReplySink, signal?: AbortSignal): Promise<ChatCompletionRecord> {
    const resolved = this.resolveModel(input.model)
    const result = await generateReply({
      provider: resolved.provider,
      model: resolved.model,
      messages: input.messages,
      temperature: input.temperature,
      maxTokens: input.max_tokens,
      maxSteps: 1,
      timeoutMs: this.options.replyTimeoutMs,
      signal,
      sink
    })
    if (result.status !== 'completed') throw modelErrorToDomain(result.error ?? { code: 'provider_error', message: 'The model failed' })
    return {
      id: `chatcmpl-${newId()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: resolved.id,
      choices: [{ index: 0, message: { role: 'assistant', content: result.content }, finish_reason: (result.finishReason as FinishReason) ?? 'stop' }],
      usage: usageRecord(result.usage)
    }
  }

  /**
   * Runs an assistant (its prompt, model and tools) on a text, with images and video for models
   * that take them and audio transcribed into the text. Everything that can be refused (the media,
   * the assistant, a model without eyes, no transcription engine) is refused before any model or
   * engine is called.
   */
  async run(p: Principal, input: RunInput, signal?: AbortSignal): Promise<RunRecord> {
    const media = await checkRunMedia(input.media ?? [])
    if (!input.input && media.length === 0) {
      throw new DomainError('VALIDATION_ERROR', 'Give `input`, or audio, images or video to run on', [
        { field: 'body.input', message: 'is required without audio, images or video' }
      ])
    }
    const plan = this.planAssistantReply(p, input.assistant_id)
    const visual = media.filter((m): m is RunMedia & { kind: MediaInputKind } => m.kind !== 'audio')
    for (const m of visual) this.requireMediaInput(plan, m.kind)
    const audio = media.find((m) => m.kind === 'audio')
    if (audio && !this.options.transcriber) {
      throw new DomainError(
        'TRANSCRIPTION_NOT_CONFIGURED',
        'Audio input needs a transcription engine, and this server has none: set OPENAI_API_KEY (OpenAI, or a compatible server with OPENAI_BASE_URL), or send the text in `input`'
      )
    }
    const transcript = audio ? await this.transcribe(audio, signal) : undefined
    let text = [input.input, transcript].filter((t) => t?.trim()).join('\n\n')
    if (!text && visual.length === 0) {
      throw new DomainError('VALIDATION_ERROR', 'No speech was heard in the audio', [{ field: 'body.audio', message: 'has no speech in it' }])
    }
    if (input.file_ids?.length) {
      if (!this.files) throw new DomainError('BAD_REQUEST', 'Files cannot be read here')
      const attached = await this.files.readForModel(p, input.file_ids)
      text += attached
        .map((f) =>
          f.text !== undefined
            ? `\n\n--- ${f.filename} (${f.content_type}) ---\n${f.text}`
            : `\n\n[Attached: ${f.filename}, ${f.content_type}, ${f.size} bytes]`
        )
        .join('')
    }
    const question: ChatMessage = { role: 'user', content: text }
    if (visual.length) question.attachments = visual.map((m) => ({ kind: m.kind, mediaType: m.mediaType, data: m.data }))
    const result = await this.reply(plan, [...(input.history ?? []), question], undefined, signal)
    if (result.status !== 'completed') throw modelErrorToDomain(result.error ?? { code: 'provider_error', message: 'The model failed' })
    return {
      id: newId(),
      assistant_id: plan.assistantId,
      model: plan.resolved.id,
      status: 'completed',
      output: result.content,
      tool_calls: result.toolRuns.map((r) => ({
        id: r.call.id,
        name: r.call.name,
        arguments: r.call.arguments,
        result: r.result.content,
        is_error: r.result.isError,
        step: r.step
      })),
      steps: result.steps,
      finish_reason: (result.finishReason as FinishReason) ?? 'stop',
      usage: usageRecord(result.usage),
      ...(transcript !== undefined ? { transcript } : {}),
      created_at: nowIso()
    }
  }

  /** Refuses images or video for a model that does not take them, naming the models here that do. */
  private requireMediaInput(plan: AssistantReplyPlan, kind: MediaInputKind): void {
    if (plan.resolved.mediaInputs.includes(kind)) return
    const rule = RUN_MEDIA[kind]
    const able = this.models
      .list()
      .filter((m) => m.input_modalities.includes(kind))
      .map((m) => m.id)
    const where = able.length
      ? `models here that do: ${able.slice(0, 4).join(', ')}`
      : kind === 'image'
        ? 'none is configured here: set OPENAI_API_KEY, ANTHROPIC_API_KEY or BEDROCK_REGION'
        : 'none is configured here: set BEDROCK_REGION for Amazon Nova'
    throw new DomainError(
      'MODEL_INPUT_NOT_SUPPORTED',
      `The model ${plan.resolved.id} of this assistant does not take ${kind === 'image' ? 'images' : 'video'}; give the assistant a model that does (${where})`,
      [{ field: `body.${rule.field}`, message: `${plan.resolved.id} does not take ${kind === 'image' ? 'images' : 'video'}` }]
    )
  }

  private async transcribe(audio: RunMedia, signal?: AbortSignal): Promise<string> {
    try {
      return await this.options.transcriber!.transcribe({ audio: audio.data, mediaType: audio.mediaType, extension: audio.extension, signal })
    } catch (err) {
      if (signal?.aborted) throw new DomainError('REQUEST_CANCELLED', 'The run was cancelled')
      if (err instanceof TranscriptionError) throw new DomainError('TRANSCRIPTION_FAILED', err.message)
      throw err
    }
  }

  /**
   * Runs the assistant and speaks its answer: in the format asked for when the engine makes it,
   * else in the one it makes. No engine is SPEECH_NOT_CONFIGURED, found before the model is run.
   */
  async runAudio(p: Principal, input: RunAudioInput, signal?: AbortSignal): Promise<{ run: RunRecord; audio: Buffer; format: AudioFormat }> {
    const { speech } = this.options
    if (!speech) {
      throw new DomainError(
        'SPEECH_NOT_CONFIGURED',
        'No speech engine on this server: set OPENAI_API_KEY for OpenAI speech, or install espeak-ng (apt-get install espeak-ng) for a local voice'
      )
    }
    const { format: wanted, voice, ...runInput } = input
    const run = await this.run(p, runInput, signal)
    const format = wanted && speech.formats.includes(wanted) ? wanted : speech.formats[0]!
    try {
      const spoken = await speech.synthesize({ text: run.output.trim() || '(no answer)', format, voice, signal })
      return { run, audio: spoken.audio, format: spoken.format }
    } catch (err) {
      if (err instanceof SpeechError) throw new DomainError('SPEECH_FAILED', err.message)
      throw err
    }
  }

  // ------------------------------------------------------------ prompt compiler

  private completer(resolved: ResolvedModel): Complete {
    return async (messages) => {
      const result = await generateReply({
        provider: resolved.provider,
        model: resolved.model,
        messages,
        temperature: 0.2,
        maxSteps: 1,
        timeoutMs: this.options.replyTimeoutMs
      })
      if (result.status !== 'completed') throw modelErrorToDomain(result.error ?? { code: 'provider_error', message: 'The model failed' })
      return result.content
    }
  }

  private async withCompiler<T>(model: string | undefined, offline: () => T, online: (complete: Complete) => Promise<T>): Promise<{ value: T; model: string }> {
    const resolved = this.resolveModel(model)
    if (resolved.providerId === 'offline') return { value: offline(), model: resolved.id }
    try {
      return { value: await online(this.completer(resolved)), model: resolved.id }
    } catch (err) {
      if (err instanceof PromptCompilerError) throw new DomainError('MODEL_ERROR', `${resolved.id}: ${err.message}`)
      throw err
    }
  }

  async compilePrompt(_p: Principal, input: { prompt: string; model?: string; modelid?: string }) {
    const { value, model } = await this.withCompiler(
      input.model ?? input.modelid,
      () => compileOffline(input.prompt),
      (c) => compileWithModel(c, input.prompt)
    )
    return { original_prompt: input.prompt, compiled_prompt: value, model }
  }

  async compilePromptForm(_p: Principal, input: { prompt: string; model?: string; modelid?: string }) {
    const { value, model } = await this.withCompiler(
      input.model ?? input.modelid,
      () => compileFormOffline(input.prompt),
      (c) => compileFormWithModel(c, input.prompt)
    )
    return {
      original_prompt: input.prompt,
      compiled_prompt: value.compiled_prompt,
      parameters: value.parameters,
      form_schema: formSchema(value.parameters),
      model
    }
  }

  async updateParameters(_p: Principal, input: { prompt: string; parameters: PromptParameterInput[]; template?: string; model?: string; modelid?: string }) {
    const names = new Set<string>()
    for (const p of input.parameters) {
      if (names.has(p.name))
        throw new DomainError('VALIDATION_ERROR', `The parameter ${p.name} is listed twice`, [
          { field: 'body.parameters', message: `${p.name} is listed twice` }
        ])
      names.add(p.name)
      const d = p.default
      if (d !== undefined && d !== null && !['string', 'number', 'boolean'].includes(typeof d)) {
        throw new DomainError('VALIDATION_ERROR', `The default of ${p.name} must be a string, number, boolean or null`, [
          { field: 'body.parameters', message: `${p.name}.default must be a string, number, boolean or null` }
        ])
      }
    }
    const parameters: PromptParameter[] = input.parameters.map((p) => ({
      name: p.name,
      label: p.label ?? p.name,
      type: p.type ?? (p.options?.length ? 'enum' : 'string'),
      description: p.description ?? '',
      required: p.required ?? false,
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(p.options ? { options: p.options } : {})
    }))
    const { value, model } = await this.withCompiler(
      input.model ?? input.modelid,
      () => extractParametersOffline(input.prompt, parameters),
      (c) => extractParametersWithModel(c, input.prompt, parameters)
    )
    return { values: value, filled_prompt: input.template !== undefined ? fillTemplate(input.template, value) : null, model }
  }
}

/** A JSON Schema of the parameters, for a form generator. */
export function formSchema(parameters: PromptParameter[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {}
  for (const p of parameters) {
    const base = { title: p.label, description: p.description, ...(p.default !== undefined ? { default: p.default } : {}) }
    properties[p.name] = p.type === 'enum' ? { ...base, type: 'string', enum: p.options ?? [] } : { ...base, type: p.type }
  }
  return { type: 'object', properties, required: parameters.filter((p) => p.required).map((p) => p.name) }
}
