import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * The environment the service reads, as DESIGN.md lists it. Every variable is validated at start;
 * a bad value stops the start with a message naming the variable.
 */
const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')])
const PortLike = Type.String({ pattern: '^[0-9]{1,5}$' })
const CountLike = Type.String({ pattern: '^[0-9]+$' })

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')])),
  PORT: Type.Optional(PortLike),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  TERMINAL_KEY: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
  RATE_LIMIT_MAX: Type.Optional(CountLike),
  RATE_LIMIT_AUTH_MAX: Type.Optional(CountLike),
  WEBHOOK_ALLOW_PRIVATE: Type.Optional(Bool),
  OPENAI_API_KEY: Type.Optional(Type.String()),
  OPENAI_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  ANTHROPIC_API_KEY: Type.Optional(Type.String()),
  ANTHROPIC_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  GROQ_API_KEY: Type.Optional(Type.String()),
  CORS_ORIGINS: Type.Optional(Type.String()),
  WORKSPACES_ROOT: Type.Optional(Type.String({ pattern: '^/' })),
  DISPATCH_MAX_SESSIONS: Type.Optional(CountLike),
  DISPATCH_SHELL: Type.Optional(Type.String({ pattern: '^/' }))
})

export interface Config {
  nodeEnv: 'development' | 'production' | 'test'
  port: number
  host: string
  dataDir: string
  /** A SQLite file path or `:memory:`. */
  databaseUrl: string
  jwtSecret: string
  terminalKey?: string
  logLevel: string
  rateLimitMax: number
  rateLimitAuthMax: number
  webhookAllowPrivate: boolean
  openaiApiKey?: string
  openaiBaseUrl?: string
  anthropicApiKey?: string
  anthropicBaseUrl?: string
  groqApiKey?: string
  corsOrigins: string[]
  workspacesRoot: string
  /** How many dispatch sessions may run at once (0: none may start). */
  dispatchMaxSessions: number
  /** The shell a dispatch `pty` session runs (an absolute path). */
  dispatchShell: string
  version: string
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

const PACKAGE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
})()

/** Defaults for a config built in-process (tests, scripts); nothing touches the disk. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    nodeEnv: 'test',
    port: 0,
    host: '127.0.0.1',
    dataDir: '',
    databaseUrl: ':memory:',
    jwtSecret: 'test-secret-test-secret-test-secret-0123456789',
    logLevel: 'silent',
    rateLimitMax: 0,
    rateLimitAuthMax: 0,
    webhookAllowPrivate: false,
    corsOrigins: [],
    workspacesRoot: '/workspace',
    dispatchMaxSessions: 10,
    dispatchShell: defaultShell(),
    version: PACKAGE_VERSION,
    ...overrides
  }
}

function databasePath(url: string | undefined, dataDir: string): string {
  if (!url) return join(dataDir, 'app.db')
  if (url === ':memory:') return url
  if (url.startsWith('sqlite:')) {
    const p = url.replace(/^sqlite:(\/\/)?/, '')
    if (!p) throw new ConfigError('DATABASE_URL: "sqlite:" needs a file path, e.g. sqlite:./data/app.db')
    return p
  }
  if (url.startsWith('file:')) return url.slice('file:'.length)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new ConfigError(`DATABASE_URL: the scheme of "${url.split(':')[0]}" is not supported yet; use a SQLite path (sqlite:./data/app.db)`)
  }
  return url
}

/** Reads, validates and completes the configuration from an environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const v = env[key]
    if (v !== undefined && v !== '') picked[key] = v
  }
  const errors = [...Value.Errors(EnvSchema, picked)]
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.path.replace(/^\//, '')}: ${e.message} (got ${JSON.stringify(e.value)})`)
    throw new ConfigError(`Invalid environment:\n  ${[...new Set(lines)].join('\n  ')}`)
  }
  const e = picked as Static<typeof EnvSchema>
  const nodeEnv = e.NODE_ENV ?? 'development'
  const port = Number(e.PORT ?? 3000)
  if (port > 65535) throw new ConfigError(`PORT: must be between 0 and 65535 (got ${e.PORT})`)
  const dataDir = resolve(e.DATA_DIR ?? './data')
  const databaseUrl = databasePath(e.DATABASE_URL, dataDir)

  let jwtSecret = e.JWT_SECRET
  if (!jwtSecret) {
    if (nodeEnv === 'production') {
      throw new ConfigError('JWT_SECRET: required when NODE_ENV=production (at least 32 characters)')
    }
    jwtSecret = developmentSecret(dataDir)
  }
  const flag = (v: string | undefined) => v === 'true' || v === '1'

  return {
    nodeEnv,
    port,
    host: e.HOST ?? (nodeEnv === 'production' ? '0.0.0.0' : '127.0.0.1'),
    dataDir,
    databaseUrl,
    jwtSecret,
    terminalKey: e.TERMINAL_KEY,
    logLevel: e.LOG_LEVEL ?? 'info',
    rateLimitMax: Number(e.RATE_LIMIT_MAX ?? 100),
    rateLimitAuthMax: Number(e.RATE_LIMIT_AUTH_MAX ?? 10),
    webhookAllowPrivate: flag(e.WEBHOOK_ALLOW_PRIVATE),
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    anthropicApiKey: e.ANTHROPIC_API_KEY,
    anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
    groqApiKey: e.GROQ_API_KEY,
    corsOrigins: (e.CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    workspacesRoot: e.WORKSPACES_ROOT ?? '/workspace',
    dispatchMaxSessions: Number(e.DISPATCH_MAX_SESSIONS ?? 10),
    dispatchShell: e.DISPATCH_SHELL ?? defaultShell(),
    version: PACKAGE_VERSION
  }
}

/** The login shell of the environment when it is an absolute path, else `/bin/sh`. */
function defaultShell(): string {
  const shell = process.env.SHELL
  return shell?.startsWith('/') ? shell : '/bin/sh'
}

/** In development the signing secret is generated once and kept under DATA_DIR, so tokens survive restarts. */
function developmentSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret')
  if (existsSync(file)) {
    const s = readFileSync(file, 'utf8').trim()
    if (s.length >= 32) return s
  }
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  writeFileSync(file, `${secret}\n`, { mode: 0o600 })
  return secret
}
