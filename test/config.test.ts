import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig, loadEnvFile } from '../src/config.js'

t.test('defaults', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'))
  const c = loadConfig({ DATA_DIR: dir })
  t.equal(c.port, 3000)
  t.equal(c.host, '127.0.0.1')
  t.equal(c.databaseUrl, join(dir, 'app.db'))
  t.equal(c.rateLimitMax, 100)
  t.equal(c.rateLimitAuthMax, 10)
  t.equal(c.webhookAllowPrivate, false)
  t.equal(c.workspacesRoot, '/workspace')
  t.same(c.passwordHashing, { memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 }, 'passwords are hashed with the OWASP argon2id parameters')
  t.ok(c.jwtSecret.length >= 32)
  t.equal(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim(), c.jwtSecret, 'the development secret is kept under DATA_DIR')
  t.equal(loadConfig({ DATA_DIR: dir }).jwtSecret, c.jwtSecret, 'and reused on the next start')
})

t.test('a bad value names the variable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'))
  const bad: Record<string, string>[] = [
    { PORT: 'abc' },
    { PORT: '70000' },
    { LOG_LEVEL: 'loud' },
    { RATE_LIMIT_MAX: '-1' },
    { WEBHOOK_ALLOW_PRIVATE: 'maybe' },
    { JWT_SECRET: 'short' },
    { WORKSPACES_ROOT: 'relative/path' },
    { DATABASE_URL: 'mysql://localhost/db' }
  ]
  for (const env of bad) {
    // Each case sets exactly one variable.
    const [name, value] = Object.entries(env)[0]!
    t.throws(() => loadConfig({ DATA_DIR: dir, ...env }), { name: 'ConfigError', message: new RegExp(name) }, `${name}=${value}`)
  }
  t.throws(
    () => loadConfig({ DATA_DIR: dir, NODE_ENV: 'production' }),
    new ConfigError('JWT_SECRET: required when NODE_ENV=production (at least 32 characters)')
  )
  const prod = loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })
  t.equal(prod.host, '0.0.0.0')
  t.same(prod.passwordHashing, { memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 }, 'production keeps the OWASP argon2id parameters')
})

t.test('values are parsed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'))
  const c = loadConfig({
    DATA_DIR: dir,
    PORT: '8080',
    DATABASE_URL: 'sqlite:./x.db',
    RATE_LIMIT_MAX: '0',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    CORS_ORIGINS: 'https://a.example, https://b.example'
  })
  t.equal(c.port, 8080)
  t.equal(c.databaseUrl, './x.db')
  t.equal(c.rateLimitMax, 0)
  t.equal(c.webhookAllowPrivate, true)
  t.same(c.corsOrigins, ['https://a.example', 'https://b.example'])
})

t.test('browser sign-in: providers, allow-list, front end, base URL and proxies', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'))
  const c = loadConfig({
    DATA_DIR: dir,
    OAUTH_GOOGLE_CLIENT_ID: 'g-id',
    OAUTH_GOOGLE_CLIENT_SECRET: 'g-secret',
    OAUTH_CORP_CLIENT_ID: 'c-id',
    OAUTH_CORP_ISSUER: 'https://login.corp.example/realms/x',
    OAUTH_LOCAL_CLIENT_ID: 'l-id',
    OAUTH_LOCAL_ISSUER: 'http://127.0.0.1:9000',
    ALLOWED_EMAILS: 'Ada@Example.com, @Corp.example',
    FRONTEND_URL: 'https://app.example/signed-in',
    BASE_URL: 'https://api.example/',
    TRUST_PROXY: '10.0.0.0/8, 127.0.0.1'
  })
  t.same(c.oauthProviders, {
    google: { clientId: 'g-id', clientSecret: 'g-secret', issuer: 'https://accounts.google.com' },
    corp: { clientId: 'c-id', clientSecret: undefined, issuer: 'https://login.corp.example/realms/x' },
    local: { clientId: 'l-id', clientSecret: undefined, issuer: 'http://127.0.0.1:9000' }
  })
  t.same(c.allowedEmails, ['ada@example.com', '@corp.example'])
  t.equal(c.frontendUrl, 'https://app.example/signed-in')
  t.equal(c.baseUrl, 'https://api.example', 'without its trailing slash')
  t.same(c.trustProxy, ['10.0.0.0/8', '127.0.0.1'])
  t.equal(loadConfig({ DATA_DIR: dir, TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(loadConfig({ DATA_DIR: dir, TRUST_PROXY: '2' }).trustProxy, 2)
  t.equal(loadConfig({ DATA_DIR: dir }).trustProxy, false)
  t.same(loadConfig({ DATA_DIR: dir }).oauthProviders, {})

  for (const [env, message] of [
    [{ OAUTH_CORP_CLIENT_ID: 'x' }, /OAUTH_CORP_ISSUER: required/],
    [{ OAUTH_CORP_ISSUER: 'https://login.corp.example' }, /OAUTH_CORP_CLIENT_ID: required/],
    [{ OAUTH_CORP_CLIENT_ID: 'x', OAUTH_CORP_ISSUER: 'http://login.corp.example' }, /OAUTH_CORP_ISSUER: must be https/],
    [{ OAUTH_CORP_CLIENT_ID: 'x', OAUTH_CORP_ISSUER: 'not a url' }, /OAUTH_CORP_ISSUER: not a URL/],
    [{ BASE_URL: 'https://api.example/v1' }, /BASE_URL/],
    [{ FRONTEND_URL: 'app.example' }, /FRONTEND_URL/]
  ] as const) {
    t.throws(() => loadConfig({ DATA_DIR: dir, ...env }), { name: 'ConfigError', message }, JSON.stringify(env))
  }
})

t.test('a .env file fills in what the environment leaves unset', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'))
  const file = join(dir, '.env')
  writeFileSync(
    file,
    [
      '# comments and blank lines are skipped',
      '',
      'PORT=8081',
      'LOG_LEVEL=debug',
      'CORS_ORIGINS="https://a.example, https://b.example"',
      `DATA_DIR=${dir}`,
      ''
    ].join('\n')
  )
  const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' }
  t.same(loadEnvFile(file, env)?.sort(), ['CORS_ORIGINS', 'DATA_DIR', 'PORT'], 'the names the file set')
  t.equal(env.LOG_LEVEL, 'warn', 'a variable of the environment wins over the file')
  const c = loadConfig(env)
  t.equal(c.port, 8081)
  t.equal(c.logLevel, 'warn')
  t.same(c.corsOrigins, ['https://a.example', 'https://b.example'], 'quoted values are unquoted')
  t.equal(c.dataDir, dir)

  t.equal(loadEnvFile(join(dir, 'missing.env'), {}), undefined, 'no file is no error')
  t.throws(() => loadEnvFile(dir, {}), { name: 'ConfigError' }, 'a file that cannot be read stops the start')
})

t.test('log format and access-log level', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'))
  const d = loadConfig({ DATA_DIR: dir })
  t.equal(d.logFormat, 'json')
  t.equal(d.accessLogLevel, 'info')
  const c = loadConfig({ DATA_DIR: dir, LOG_FORMAT: 'pretty', ACCESS_LOG_LEVEL: 'silent' })
  t.equal(c.logFormat, 'pretty')
  t.equal(c.accessLogLevel, 'silent')
  t.throws(() => loadConfig({ DATA_DIR: dir, LOG_FORMAT: 'xml' }), { name: 'ConfigError', message: /LOG_FORMAT/ })
  t.throws(() => loadConfig({ DATA_DIR: dir, ACCESS_LOG_LEVEL: 'loud' }), { name: 'ConfigError', message: /ACCESS_LOG_LEVEL/ })
})
