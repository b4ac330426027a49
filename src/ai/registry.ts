import { mediaInputsOf } from './capabilities.js'
import { AnthropicProvider } from './providers/anthropic.js'
import { BedrockProvider, type BedrockProviderOptions } from './providers/bedrock.js'
import { OfflineProvider, OFFLINE_MODELS } from './providers/offline.js'
import { OpenAIProvider } from './providers/openai.js'
import type { MediaInputKind, ModelError, ModelProvider } from './types.js'

/**
 * Models are named `provider:model` (`openai:gpt-4o-mini`, `anthropic:claude-sonnet-4-6`,
 * `groq:llama-3.3-70b-versatile`, `bedrock:amazon.nova-lite-v1:0`, `offline`). The part after the first colon is the vendor's own
 * name and may contain colons itself (`openai:llama3.2:3b` on Ollama). A bare name is read as the
 * vendor it obviously belongs to (`gpt-4` → openai, `claude-…` → anthropic), as older clients'
 * examples write them.
 */
export const PROVIDERS = ['openai', 'anthropic', 'groq', 'bedrock', 'offline'] as const
export type ProviderId = (typeof PROVIDERS)[number]

export const GROQ_BASE_URL = 'https://api.groq.com/openai/v1'

/** Models we list per provider when it is configured. Any other model name of a configured provider works too. */
const KNOWN_MODELS: Record<Exclude<ProviderId, 'offline'>, { model: string; name: string }[]> = {
  openai: [
    { model: 'gpt-4o-mini', name: 'GPT-4o mini' },
    { model: 'gpt-4o', name: 'GPT-4o' },
    { model: 'gpt-4.1-mini', name: 'GPT-4.1 mini' },
    { model: 'gpt-5-mini', name: 'GPT-5 mini' }
  ],
  anthropic: [
    { model: 'claude-sonnet-4-6', name: 'Claude Sonnet 4.6' },
    { model: 'claude-haiku-4-5', name: 'Claude Haiku 4.5' },
    { model: 'claude-opus-4-6', name: 'Claude Opus 4.6' }
  ],
  groq: [
    { model: 'llama-3.3-70b-versatile', name: 'Llama 3.3 70B (Groq)' },
    { model: 'llama-3.1-8b-instant', name: 'Llama 3.1 8B instant (Groq)' }
  ],
  bedrock: [
    { model: 'amazon.nova-lite-v1:0', name: 'Amazon Nova Lite (Bedrock)' },
    { model: 'anthropic.claude-3-5-haiku-20241022-v1:0', name: 'Claude 3.5 Haiku (Bedrock)' },
    { model: 'meta.llama3-1-8b-instruct-v1:0', name: 'Llama 3.1 8B instruct (Bedrock)' }
  ]
}

export interface ModelInfo {
  /** `provider:model`, what an assistant's `model` takes. */
  id: string
  /** The vendor's own model name (a chat's `model_id`). */
  model_id: string
  /** The provider (a chat's `model_api_source`). */
  model_api_source: ProviderId
  name: string
  supports_tools: boolean
  supports_streaming: boolean
  /** What it reads: `text`, and `image` or `video` when it takes them. */
  input_modalities: ('text' | MediaInputKind)[]
  is_default: boolean
}

export interface ResolvedModel {
  /** Normalized `provider:model` (`offline` for the offline model). */
  id: string
  providerId: ProviderId
  /** The vendor's own model name (for offline: `default`, `slow` or `error`). */
  model: string
  provider: ModelProvider
  /** What the model takes besides text. */
  mediaInputs: MediaInputKind[]
}

export class ModelResolutionError extends Error {
  constructor(readonly error: ModelError) {
    super(error.message)
    this.name = 'ModelResolutionError'
  }
}

export interface ModelRegistryOptions {
  openai?: { apiKey: string; baseURL?: string }
  anthropic?: { apiKey: string; baseURL?: string }
  groq?: { apiKey: string; baseURL?: string }
  /** AWS Bedrock: a region; credentials come from the AWS SDK's default chain unless given. */
  bedrock?: Omit<BedrockProviderOptions, 'maxRetries'>
  /** The model used when none is named. Defaults to the first configured vendor's first model, else `offline`. */
  defaultModel?: string
  offline?: ConstructorParameters<typeof OfflineProvider>[0]
  /** Retries the vendor SDKs make on 429/5xx before a stream starts. */
  maxRetries?: number
  /** Providers to use instead of the ones built from keys (tests). */
  providers?: Partial<Record<ProviderId, ModelProvider>>
}

const ENV_KEY: Record<ProviderId, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  groq: 'GROQ_API_KEY',
  bedrock: 'BEDROCK_REGION (with AWS credentials)',
  offline: ''
}

/** Splits a model name into provider and vendor model; undefined when the provider cannot be told. */
export function parseModelName(name: string): { providerId: ProviderId; model: string } | undefined {
  const trimmed = name.trim()
  if (!trimmed) return undefined
  const colon = trimmed.indexOf(':')
  if (colon > 0) {
    const prefix = trimmed.slice(0, colon).toLowerCase()
    const rest = trimmed.slice(colon + 1)
    if ((PROVIDERS as readonly string[]).includes(prefix)) {
      if (prefix === 'offline') return { providerId: 'offline', model: rest || 'default' }
      return rest ? { providerId: prefix as ProviderId, model: rest } : undefined
    }
  }
  if (trimmed.toLowerCase() === 'offline') return { providerId: 'offline', model: 'default' }
  if (/^(gpt-|chatgpt-|o\d)/i.test(trimmed)) return { providerId: 'openai', model: trimmed }
  if (/^claude-/i.test(trimmed)) return { providerId: 'anthropic', model: trimmed }
  return undefined
}

export class ModelRegistry {
  private readonly providers = new Map<ProviderId, ModelProvider>()
  readonly defaultModel: string

  constructor(options: ModelRegistryOptions = {}) {
    const retries = options.maxRetries
    this.providers.set('offline', options.providers?.offline ?? new OfflineProvider(options.offline))
    if (options.providers?.openai) this.providers.set('openai', options.providers.openai)
    else if (options.openai?.apiKey) this.providers.set('openai', new OpenAIProvider({ id: 'openai', ...options.openai, maxRetries: retries }))
    if (options.providers?.anthropic) this.providers.set('anthropic', options.providers.anthropic)
    else if (options.anthropic?.apiKey) this.providers.set('anthropic', new AnthropicProvider({ ...options.anthropic, maxRetries: retries }))
    if (options.providers?.groq) this.providers.set('groq', options.providers.groq)
    else if (options.groq?.apiKey) {
      this.providers.set(
        'groq',
        new OpenAIProvider({ id: 'groq', apiKey: options.groq.apiKey, baseURL: options.groq.baseURL ?? GROQ_BASE_URL, maxRetries: retries, includeUsage: true })
      )
    }
    if (options.providers?.bedrock) this.providers.set('bedrock', options.providers.bedrock)
    else if (options.bedrock?.region) this.providers.set('bedrock', new BedrockProvider({ ...options.bedrock, maxRetries: retries }))
    const firstVendor = (['openai', 'anthropic', 'groq', 'bedrock'] as const).find((p) => this.providers.has(p))
    this.defaultModel = options.defaultModel ?? (firstVendor ? `${firstVendor}:${KNOWN_MODELS[firstVendor][0]!.model}` : 'offline')
  }

  /** The registry the configuration describes: a vendor is there when its key is set; `offline` always is. */
  static fromConfig(config: {
    nodeEnv?: string
    openaiApiKey?: string
    openaiBaseUrl?: string
    anthropicApiKey?: string
    anthropicBaseUrl?: string
    groqApiKey?: string
    groqBaseUrl?: string
    bedrockRegion?: string
    bedrockEndpoint?: string
  }): ModelRegistry {
    return new ModelRegistry({
      openai: config.openaiApiKey ? { apiKey: config.openaiApiKey, baseURL: config.openaiBaseUrl } : undefined,
      anthropic: config.anthropicApiKey ? { apiKey: config.anthropicApiKey, baseURL: config.anthropicBaseUrl } : undefined,
      groq: config.groqApiKey ? { apiKey: config.groqApiKey, baseURL: config.groqBaseUrl } : undefined,
      bedrock: config.bedrockRegion ? { region: config.bedrockRegion, endpoint: config.bedrockEndpoint } : undefined,
      // A little pacing so people see the offline model stream; none in tests.
      offline: { delayMs: config.nodeEnv === 'test' ? 0 : 20 }
    })
  }

  isConfigured(providerId: ProviderId): boolean {
    return this.providers.has(providerId)
  }

  /** Checks a model name's form and provider, not whether the provider is configured. */
  isKnownName(name: string): boolean {
    return parseModelName(name) !== undefined
  }

  /** The provider for a model name; throws ModelResolutionError when unknown or not configured. */
  resolve(name: string | undefined | null): ResolvedModel {
    const wanted = name?.trim() || this.defaultModel
    const parsed = parseModelName(wanted)
    if (!parsed) {
      throw new ModelResolutionError({
        code: 'unknown_model',
        message: `Unknown model "${wanted}": name it provider:model with provider one of ${PROVIDERS.join(', ')} (e.g. openai:gpt-4o-mini, offline)`
      })
    }
    const provider = this.providers.get(parsed.providerId)
    if (!provider) {
      throw new ModelResolutionError({
        code: 'not_configured',
        message: `The model ${parsed.providerId}:${parsed.model} needs ${ENV_KEY[parsed.providerId]}, which is not set on this server`
      })
    }
    const id = parsed.providerId === 'offline' ? (parsed.model === 'default' ? 'offline' : `offline:${parsed.model}`) : `${parsed.providerId}:${parsed.model}`
    return { id, providerId: parsed.providerId, model: parsed.model, provider, mediaInputs: mediaInputsOf(parsed.providerId, parsed.model) }
  }

  /** The models of the configured providers, the default first. */
  list(): ModelInfo[] {
    const out: ModelInfo[] = []
    for (const p of ['openai', 'anthropic', 'groq', 'bedrock'] as const) {
      if (!this.providers.has(p)) continue
      for (const m of KNOWN_MODELS[p]) {
        const id = `${p}:${m.model}`
        out.push({
          id,
          model_id: m.model,
          model_api_source: p,
          name: m.name,
          supports_tools: true,
          supports_streaming: true,
          input_modalities: ['text', ...mediaInputsOf(p, m.model)],
          is_default: id === this.defaultModel
        })
      }
    }
    out.push({
      id: 'offline',
      model_id: 'offline',
      model_api_source: 'offline',
      name: 'Offline (deterministic stand-in, no network)',
      supports_tools: true,
      supports_streaming: true,
      input_modalities: ['text'],
      is_default: this.defaultModel === 'offline'
    })
    if (!out.some((m) => m.is_default)) {
      const parsed = parseModelName(this.defaultModel)
      if (parsed && this.providers.has(parsed.providerId)) {
        out.unshift({
          id: this.defaultModel,
          model_id: parsed.model,
          model_api_source: parsed.providerId,
          name: parsed.model,
          supports_tools: true,
          supports_streaming: true,
          input_modalities: ['text', ...mediaInputsOf(parsed.providerId, parsed.model)],
          is_default: true
        })
      }
    }
    return out.sort((a, b) => Number(b.is_default) - Number(a.is_default))
  }
}

export { OFFLINE_MODELS }
