import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseEnv } from 'node:util'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { resourcePath } from './resources.js'
import { MINIMAL_PASSWORD_HASHING, OWASP_PASSWORD_HASHING, type PasswordHashing } from './domain/passwords.js'

/**
 * The environment the service reads, as DESIGN.md lists it. Every variable is validated at start;
 * a bad value stops the start with a message naming the variable.
 */
const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')])
const PortLike = Type.String({ pattern: '^[0-9]{1,5}$' })
const CountLike = Type.String({ pattern: '^[0-9]+$' })
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const LogLevel = Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)))
export type LogLevel = (typeof LOG_LEVELS)[number]

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')])),
  PORT: Type.Optional(PortLike),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  TERMINAL_KEY: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Optional(LogLevel),
  LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')])),
  ACCESS_LOG_LEVEL: Type.Optional(LogLevel),
  RATE_LIMIT_MAX: Type.Optional(CountLike),
  RATE_LIMIT_AUTH_MAX: Type.Optional(CountLike),
  WEBHOOK_ALLOW_PRIVATE: Type.Optional(Bool),
  OPENAI_API_KEY: Type.Optional(Type.String()),
  OPENAI_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  ANTHROPIC_API_KEY: Type.Optional(Type.String()),
  ANTHROPIC_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  GROQ_API_KEY: Type.Optional(Type.String()),
  GROQ_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  BEDROCK_REGION: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$' })),
  BEDROCK_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  CORS_ORIGINS: Type.Optional(Type.String()),
  BASE_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+/?$', description: 'The public origin, e.g. https://api.example.com' })),
  FRONTEND_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  ALLOWED_EMAILS: Type.Optional(Type.String()),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1 })),
  BASE_PATH: Type.Optional(Type.String({ pattern: '^/[A-Za-z0-9._~/-]*$' })),
  WORKSPACES_ROOT: Type.Optional(Type.String({ pattern: '^/' })),
  REQUEST_TIMEOUT_SECONDS: Type.Optional(CountLike),
  KEEP_ALIVE_TIMEOUT_SECONDS: Type.Optional(CountLike),
  MAX_CONNECTIONS_PER_IP: Type.Optional(CountLike),
  WS_MAX_SUBSCRIPTIONS: Type.Optional(CountLike),
  WS_MAX_SOCKETS_PER_USER: Type.Optional(CountLike),
  AGENT_REGISTRY_DIR: Type.Optional(Type.String({ minLength: 1 })),
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
  logLevel: LogLevel
  /** `json` lines (the default), or `pretty` (colored, one readable line each) through pino-pretty. */
  logFormat: 'json' | 'pretty'
  /** The level of the one access-log line per request; `silent` turns them off. */
  accessLogLevel: LogLevel
  rateLimitMax: number
  rateLimitAuthMax: number
  webhookAllowPrivate: boolean
  openaiApiKey?: string
  openaiBaseUrl?: string
  anthropicApiKey?: string
  anthropicBaseUrl?: string
  groqApiKey?: string
  groqBaseUrl?: string
  /** AWS Bedrock is offered when a region is set; credentials come from the AWS SDK's default chain. */
  bedrockRegion?: string
  bedrockEndpoint?: string
  corsOrigins: string[]
  /** The public origin of the service (`https://api.example.com`), without a trailing slash. */
  baseUrl?: string
  /** Where browser sign-in hands its one-time token; our own page when unset. */
  frontendUrl?: string
  /** Who may sign in with a browser: addresses and `@domain`s, lower-cased; empty means anyone. */
  allowedEmails: string[]
  /** Fastify's `trustProxy`: whether (or which hops) to believe `X-Forwarded-*` from. */
  trustProxy: boolean | number | string[]
  /** OpenID Connect providers for browser sign-in, by lower-case name. */
  oauthProviders: Record<string, OAuthProviderConfig>
  /** The path prefix the whole service is served under (`/base`), or '' for none. */
  basePath: string
  workspacesRoot: string
  /** A request (headers and body) must arrive within this, or its connection is closed. */
  requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** Open connections from one client address; `0` = no bound. */
  maxConnectionsPerIp: number
  /** Conversations one `/ws` socket may follow at once. */
  wsMaxSubscriptions: number
  /** Open `/ws` sockets per user. */
  wsMaxSocketsPerUser: number
  /** The folder agent packages are installed from: `<name>/<version>/agent.json`. */
  agentRegistryDir: string
  /** How many dispatch sessions may run at once (0: none may start). */
  dispatchMaxSessions: number
  /** The shell a dispatch `pty` session runs (an absolute path). */
  dispatchShell: string
  version: string
  /** The argon2id cost of password hashes: the OWASP parameters, not set by the environment. */
  passwordHashing: PasswordHashing
}

export interface OAuthProviderConfig {
  clientId: string
  clientSecret?: string
  /** The issuer, whose `/.well-known/openid-configuration` describes the provider. */
  issuer: string
}

/** Issuers we know, so that only a client id and secret need configuring. */
export const KNOWN_ISSUERS: Record<string, string> = { google: 'https://accounts.google.com' }

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

const PACKAGE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(resourcePath('package.json'), 'utf8')) as { version?: string }
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
    logFormat: 'json',
    accessLogLevel: 'info',
    rateLimitMax: 0,
    rateLimitAuthMax: 0,
    webhookAllowPrivate: false,
    corsOrigins: [],
    allowedEmails: [],
    trustProxy: false,
    oauthProviders: {},
    basePath: '',
    workspacesRoot: '/workspace',
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5000,
    maxConnectionsPerIp: 0,
    wsMaxSubscriptions: 200,
    wsMaxSocketsPerUser: 20,
    agentRegistryDir: fileURLToPath(new URL('../agents', import.meta.url)),
    dispatchMaxSessions: 10,
    dispatchShell: defaultShell(),
    version: PACKAGE_VERSION,
    // Still argon2id, at the least cost it accepts: a signup costs well under a millisecond, not ~80 ms.
    passwordHashing: MINIMAL_PASSWORD_HASHING,
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

/**
 * Reads a `.env` file into `env` when there is one: `KEY=value` lines, comments and quotes as
 * Node reads them (`util.parseEnv`, the parser of `node --env-file`). A variable the environment
 * already has wins over the file. Returns the names the file set, or undefined without a file.
 */
export function loadEnvFile(file: string, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ConfigError(`${file}: cannot be read (${(err as Error).message})`)
  }
  const taken: string[] = []
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (value === undefined || env[key] !== undefined) continue
    env[key] = value
    taken.push(key)
  }
  return taken
}

/**
 * The configuration a process starts with: `.env` in the working folder (or the file `ENV_FILE`
 * names) fills in what the environment leaves unset, then the environment is read and validated.
 * Also says which file was read and what it set.
 */
export function loadStartConfig(env: NodeJS.ProcessEnv = process.env): { config: Config; envFile?: { path: string; names: string[] } } {
  const path = resolve(env.ENV_FILE || '.env')
  const names = loadEnvFile(path, env)
  return { config: loadConfig(env), envFile: names ? { path, names } : undefined }
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
    logLevel: (e.LOG_LEVEL ?? 'info') as LogLevel,
    logFormat: e.LOG_FORMAT ?? 'json',
    accessLogLevel: (e.ACCESS_LOG_LEVEL ?? 'info') as LogLevel,
    rateLimitMax: Number(e.RATE_LIMIT_MAX ?? 100),
    rateLimitAuthMax: Number(e.RATE_LIMIT_AUTH_MAX ?? 10),
    webhookAllowPrivate: flag(e.WEBHOOK_ALLOW_PRIVATE),
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    anthropicApiKey: e.ANTHROPIC_API_KEY,
    anthropicBaseUrl: e.ANTHROPIC_BASE_URL,
    groqApiKey: e.GROQ_API_KEY,
    corsOrigins: list(e.CORS_ORIGINS),
    baseUrl: e.BASE_URL?.replace(/\/$/, ''),
    frontendUrl: e.FRONTEND_URL,
    allowedEmails: list(e.ALLOWED_EMAILS).map((s) => s.toLowerCase()),
    trustProxy: trustProxy(e.TRUST_PROXY),
    oauthProviders: oauthProviders(env),
    groqBaseUrl: e.GROQ_BASE_URL,
    bedrockRegion: e.BEDROCK_REGION,
    bedrockEndpoint: e.BEDROCK_ENDPOINT,
    basePath: (e.BASE_PATH ?? '').replace(/\/+$/, ''),
    workspacesRoot: e.WORKSPACES_ROOT ?? '/workspace',
    requestTimeoutMs: Number(e.REQUEST_TIMEOUT_SECONDS ?? 30) * 1000,
    keepAliveTimeoutMs: Number(e.KEEP_ALIVE_TIMEOUT_SECONDS ?? 5) * 1000,
    maxConnectionsPerIp: Number(e.MAX_CONNECTIONS_PER_IP ?? 256),
    wsMaxSubscriptions: Number(e.WS_MAX_SUBSCRIPTIONS ?? 200),
    wsMaxSocketsPerUser: Number(e.WS_MAX_SOCKETS_PER_USER ?? 20),
    agentRegistryDir: resolve(e.AGENT_REGISTRY_DIR ?? './agents'),
    dispatchMaxSessions: Number(e.DISPATCH_MAX_SESSIONS ?? 10),
    dispatchShell: e.DISPATCH_SHELL ?? defaultShell(),
    version: PACKAGE_VERSION,
    passwordHashing: OWASP_PASSWORD_HASHING
  }
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** `true`/`false`, a number of hops, or comma-separated addresses and CIDRs of the proxies. */
function trustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value === 'false' || value === '0') return false
  if (value === 'true') return true
  if (/^[0-9]+$/.test(value)) return Number(value)
  return list(value)
}

function isLoopbackUrl(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]'
}

/**
 * `OAUTH_<PROVIDER>_CLIENT_ID`, `_CLIENT_SECRET` and `_ISSUER`, grouped by provider. The issuer
 * must be https (plain http only on loopback, for local testing); `google`'s is known.
 */
function oauthProviders(env: NodeJS.ProcessEnv): Record<string, OAuthProviderConfig> {
  const found: Record<string, Partial<OAuthProviderConfig>> = {}
  const field = { CLIENT_ID: 'clientId', CLIENT_SECRET: 'clientSecret', ISSUER: 'issuer' } as const
  for (const [key, value] of Object.entries(env)) {
    const match = /^OAUTH_([A-Z0-9]+)_(CLIENT_ID|CLIENT_SECRET|ISSUER)$/.exec(key)
    if (!match || value === undefined || value === '') continue
    const name = match[1]!.toLowerCase()
    found[name] ??= {}
    found[name][field[match[2] as keyof typeof field]] = value
  }
  const out: Record<string, OAuthProviderConfig> = {}
  for (const [name, p] of Object.entries(found)) {
    const prefix = `OAUTH_${name.toUpperCase()}`
    if (!p.clientId) throw new ConfigError(`${prefix}_CLIENT_ID: required when other ${prefix}_* variables are set`)
    const issuer = p.issuer ?? KNOWN_ISSUERS[name]
    if (!issuer) throw new ConfigError(`${prefix}_ISSUER: required for a provider other than ${Object.keys(KNOWN_ISSUERS).join(', ')}`)
    let url: URL
    try {
      url = new URL(issuer)
    } catch {
      throw new ConfigError(`${prefix}_ISSUER: not a URL (got ${JSON.stringify(issuer)})`)
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
      throw new ConfigError(`${prefix}_ISSUER: must be https (plain http only on localhost), got ${JSON.stringify(issuer)}`)
    }
    out[name] = { clientId: p.clientId, clientSecret: p.clientSecret, issuer }
  }
  return out
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
