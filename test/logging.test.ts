import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { startupBanner } from '../src/banner.js'
import { type Config, testConfig } from '../src/config.js'
import { LOG_FLUSH_MS, logDestination, loggableUrl, loggerOptions } from '../src/logging.js'

/** An app whose log lines are collected, parsed, instead of written out. */
async function appWithLog(t: { teardown(fn: () => unknown): void }, overrides: Partial<Config> = {}) {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    }
  })
  const config = testConfig({ logLevel: 'info', ...overrides })
  const app = await buildApp({ config, logger: { level: config.logLevel, stream } })
  t.teardown(() => app.close())
  await app.ready()
  return { app, lines }
}

t.test('one access-log line per request, with method, url, status, time and request id', async (t) => {
  const { app, lines } = await appWithLog(t)
  const before = lines.length
  const res = await app.inject({ method: 'GET', url: '/api/v1/health?x=1', headers: { 'x-request-id': 'req-one' } })
  t.equal(res.statusCode, 200)
  const mine = lines.slice(before).filter((l) => l.reqId === 'req-one')
  t.equal(mine.length, 1, 'exactly one line for the request')
  t.match(mine[0], { level: 30, reqId: 'req-one', method: 'GET', url: '/api/v1/health?x=1', statusCode: 200, responseTime: Number })
  t.match(mine[0]!.msg, /^GET \/api\/v1\/health\?x=1 200 [\d.]+ms$/)

  const missing = await app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: { 'x-request-id': 'req-404' } })
  t.equal(missing.statusCode, 404)
  const notFound = lines.filter((l) => l.reqId === 'req-404')
  t.equal(notFound.length, 1, 'an unknown route is one line too')
  t.match(notFound[0], { statusCode: 404, url: '/api/v1/nothing-here' })
})

t.test('credentials in the query never reach the log', async (t) => {
  const { app, lines } = await appWithLog(t)
  await app.inject({ method: 'GET', url: '/api/v1/auth/validate-token?token=s3cret-value&x=1', headers: { 'x-request-id': 'req-secret' } })
  const line = lines.find((l) => l.reqId === 'req-secret')
  t.ok(line, 'the request is logged')
  t.notMatch(JSON.stringify(lines), /s3cret-value/, 'the token is not in any line')
  t.equal(line?.url, '/api/v1/auth/validate-token?token=[redacted]&x=1')
  t.equal(loggableUrl('/ws?ticket=abc'), '/ws?ticket=[redacted]')
  t.equal(loggableUrl('/api/workspaces?authKey=k&limit=5'), '/api/workspaces?authKey=[redacted]&limit=5')
  t.equal(loggableUrl('/api/v1/health?page=2'), '/api/v1/health?page=2', 'other queries are left as sent')
})

t.test('the access-log level is configurable', async (t) => {
  const quiet = await appWithLog(t, { accessLogLevel: 'debug' })
  await quiet.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': 'req-debug' } })
  t.equal(quiet.lines.filter((l) => l.reqId === 'req-debug').length, 0, 'debug access lines are below LOG_LEVEL=info')

  const verbose = await appWithLog(t, { accessLogLevel: 'debug', logLevel: 'debug' })
  await verbose.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': 'req-debug' } })
  t.match(
    verbose.lines.filter((l) => l.reqId === 'req-debug'),
    [{ level: 20, statusCode: 200 }],
    'and written at LOG_LEVEL=debug'
  )

  const off = await appWithLog(t, { accessLogLevel: 'silent' })
  await off.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': 'req-off' } })
  t.equal(off.lines.filter((l) => l.reqId === 'req-off').length, 0, 'silent writes none')
})

t.test('pretty logs go through pino-pretty; JSON otherwise', async (t) => {
  t.match(loggerOptions({ logLevel: 'info', logFormat: 'json' }), { level: 'info', stream: { write: Function } })
  t.match(loggerOptions({ logLevel: 'debug', logFormat: 'pretty' }), { level: 'debug', transport: { target: 'pino-pretty' } })
  t.equal(loggerOptions({ logLevel: 'silent', logFormat: 'pretty' }), false)
})

t.test('JSON lines are written in batches, and none waits longer than the flush period', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'log-destination-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'out.log')
  const fd = openSync(path, 'w')
  const destination = logDestination(fd)
  t.teardown(() => destination.end())
  const log = pino({ level: 'info' }, destination)
  log.info({ n: 1 }, 'first')
  log.info({ n: 2 }, 'second')
  t.equal(readFileSync(path, 'utf8'), '', 'two short lines wait for more')
  await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_MS + 300))
  t.same(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).msg),
    ['first', 'second'],
    'written, in order, within the flush period'
  )
  for (let i = 0; i < 100; i++) log.info({ i }, 'busy')
  // The batch's write is under way at once; a tenth of the period is room for it to land.
  await new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_MS / 10))
  t.ok(readFileSync(path, 'utf8').split('\n').filter(Boolean).length > 2, 'a full batch goes out without waiting for the period')
})

t.test('the start banner says where, what and with which model', async (t) => {
  const config = testConfig({ dataDir: '/srv/data', databaseUrl: '/srv/data/app.db', host: '0.0.0.0', nodeEnv: 'development' })
  const surfaces = [
    { name: 'v1', prefixes: ['/api/v1', '/ws'] },
    { name: 'dispatch', prefixes: ['/api/sessions'] }
  ]
  const banner = startupBanner({ config, port: 4321, surfaces, envFile: { path: '/srv/.env', names: ['PORT'] } })
  t.match(banner, /API\s+http:\/\/localhost:4321\/api\/v1/)
  t.match(banner, /Docs\s+http:\/\/localhost:4321\/docs/)
  t.match(banner, /Data\s+\/srv\/data \(database: \/srv\/data\/app\.db\)/)
  t.match(banner, /Model\s+offline: the built-in stand-in, not a language model/)
  t.match(banner, /v1\s+\/api\/v1 \/ws/)
  t.match(banner, /dispatch\s+\/api\/sessions \(refuses every call: TERMINAL_KEY is not set\)/)
  t.match(banner, /\/srv\/\.env \(1 set\)/)
  t.match(banner, /on every interface, port 4321/)

  const configured = startupBanner({
    config: testConfig({ anthropicApiKey: 'k', baseUrl: 'https://api.example', basePath: '/assistant', terminalKey: 'x' }),
    port: 3000,
    surfaces
  })
  t.match(configured, /API\s+https:\/\/api\.example\/assistant\/api\/v1/, 'BASE_URL and BASE_PATH make the URL')
  t.match(configured, /Model\s+anthropic:claude-sonnet-4-6 by default \(configured: anthropic/)
  t.notMatch(configured, /TERMINAL_KEY/)
  t.match(configured, /the environment \(no \.env file\)/)
})
