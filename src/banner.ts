import { ModelRegistry } from './ai/registry.js'
import type { Config } from './config.js'
import type { Surface } from './http/surface.js'

export interface BannerInput {
  config: Config
  /** The port actually listened on (PORT=0 picks one). */
  port: number
  surfaces: Pick<Surface, 'name' | 'prefixes'>[]
  /** The `.env` file read at start and the names it set, when there was one. */
  envFile?: { path: string; names: string[] }
}

/** Where a person reaches the service: `BASE_URL` when set, else the address listened on. */
export function publicUrl(config: Config, port: number): string {
  if (config.baseUrl) return `${config.baseUrl}${config.basePath}`
  const anyAddress = config.host === '0.0.0.0' || config.host === '::'
  const host = anyAddress ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host
  return `http://${host}:${port}${config.basePath}`
}

/** Which model answers when an assistant names none, and what that means. */
function modelLine(config: Config): string {
  const models = ModelRegistry.fromConfig(config)
  const vendors = (['openai', 'anthropic', 'groq', 'bedrock'] as const).filter((p) => models.isConfigured(p))
  if (vendors.length === 0) {
    return (
      'offline: the built-in stand-in, not a language model (it tells the time, calculates, and otherwise ' +
      'answers with a fixed reply). Set OPENAI_API_KEY, ANTHROPIC_API_KEY, GROQ_API_KEY or BEDROCK_REGION for a real one.'
    )
  }
  return `${models.defaultModel} by default (configured: ${vendors.join(', ')}; offline, the built-in stand-in, is there too)`
}

/** The text printed once the server listens: where it is, what it serves and with what. */
export function startupBanner(input: BannerInput): string {
  const { config, port, surfaces } = input
  const url = publicUrl(config, port)
  const wsUrl = url.replace(/^http/, 'ws')
  const surfaceLines = surfaces.map((s) => {
    const off = s.name === 'dispatch' && !config.terminalKey ? ' (refuses every call: TERMINAL_KEY is not set)' : ''
    return `${s.name.padEnd(9)} ${s.prefixes.join(' ')}${off}`
  })
  const database = config.databaseUrl === ':memory:' ? 'in memory (gone when the server stops)' : config.databaseUrl
  const rows: [string, string | string[]][] = [
    ['API', `${url}/api/v1`],
    ['Docs', `${url}/docs (OpenAPI: ${url}/openapi.json)`],
    ['Real time', `${wsUrl}/ws, Socket.IO at ${url}/socket.io`],
    ['Data', config.dataDir ? `${config.dataDir} (database: ${database})` : `database: ${database}`],
    ['Model', modelLine(config)],
    ['Surfaces', surfaceLines],
    ['Settings', input.envFile ? `${input.envFile.path} (${input.envFile.names.length} set), under the environment` : 'the environment (no .env file)']
  ]
  if (config.host === '0.0.0.0' || config.host === '::') rows.push(['Listening', `on every interface, port ${port}`])
  const lines = [`Assistant Backend ${config.version} is ready (${config.nodeEnv})`]
  for (const [label, value] of rows) {
    const values = Array.isArray(value) ? value : [value]
    values.forEach((v, i) => {
      lines.push(`  ${(i === 0 ? label : '').padEnd(10)} ${v}`)
    })
  }
  return `${lines.join('\n')}\n`
}
