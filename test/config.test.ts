import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

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
    const name = Object.keys(env)[0]
    t.throws(() => loadConfig({ DATA_DIR: dir, ...env }), { name: 'ConfigError', message: new RegExp(name) }, `${name}=${env[name]}`)
  }
  t.throws(
    () => loadConfig({ DATA_DIR: dir, NODE_ENV: 'production' }),
    new ConfigError('JWT_SECRET: required when NODE_ENV=production (at least 32 characters)')
  )
  const prod = loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })
  t.equal(prod.host, '0.0.0.0')
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
