/**
 * Real-time fan-out benchmark: `npm run bench`.
 *
 * Measures, in one run, against the service and against a bare `ws` baseline
 * (`bench/baseline-server.ts`), each in its own child process:
 *
 * - throughput: messages per second sent over HTTP (keep-alive, bounded concurrency), counted until
 *   EVERY subscribed socket has received EVERY message;
 * - latency: messages sent one at a time; for each socket and message, the time from the start of
 *   the POST to the frame's arrival on that socket; p50/p99 over all deliveries.
 *
 * This process is the client of every socket. Everything listens on 127.0.0.1 only. Settings come
 * from the environment or flags (`--sockets 500`, `--messages 2000`, ...; see `settings` below).
 * Results are printed and written to `bench/results/realtime-latest.json`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

// ---- settings ----

const { values: flags } = parseArgs({
  options: {
    sockets: { type: 'string' },
    messages: { type: 'string' },
    'latency-messages': { type: 'string' },
    concurrency: { type: 'string' },
    warmup: { type: 'string' },
    timeout: { type: 'string' },
    out: { type: 'string' }
  }
})

function setting(flag: string | undefined, env: string, fallback: number, min: number, max: number): number {
  const raw = flag ?? process.env[env]
  const n = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${env}: an integer from ${min} to ${max} (got ${raw})`)
  return n
}

const settings = {
  /** Subscribed sockets. */
  sockets: setting(flags.sockets, 'BENCH_SOCKETS', 1000, 1, 20_000),
  /** Messages of the throughput phase. */
  messages: setting(flags.messages, 'BENCH_MESSAGES', 1000, 1, 100_000),
  /** Messages of the latency phase, sent one at a time. */
  latencyMessages: setting(flags['latency-messages'], 'BENCH_LATENCY_MESSAGES', 200, 1, 100_000),
  /** HTTP requests in flight in the throughput phase. */
  concurrency: setting(flags.concurrency, 'BENCH_CONCURRENCY', 16, 1, 256),
  /** Messages sent (and fully delivered) before measuring, to warm both servers up. */
  warmup: setting(flags.warmup, 'BENCH_WARMUP', 100, 1, 100_000),
  /** The whole run is stopped after this long. */
  timeoutMs: setting(flags.timeout, 'BENCH_TIMEOUT_MS', 600_000, 1000, 3_600_000)
}
/** One phase (warm-up, throughput, latency) must complete within this. */
const PHASE_TIMEOUT_MS = Math.min(180_000, settings.timeoutMs)
const OUT = resolve(flags.out ?? join(ROOT, 'bench/results/realtime-latest.json'))

/** Chat-sized content; the marker `B<phase><index>` lets a client match a frame to its send without parsing JSON. */
const FILLER = ' — the quick brown fox jumps over the lazy dog while the assistant thinks about it.'
const content = (phase: PhaseKey, i: number) => `B${phase}${String(i).padStart(7, '0')}${FILLER}`
const MARK = Buffer.from('"content":"B')
type PhaseKey = 'w' | 't' | 'l'

// ---- child processes ----

const children = new Set<ChildProcess>()
let stopping = false
let failChild: (err: Error) => void = () => {}
const childFailure = new Promise<never>((_, reject) => (failChild = reject))
childFailure.catch(() => {})

/** With BENCH_CPU_PROF=<dir>, both servers write V8 CPU profiles there when they stop. */
const PROFILE_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined

function startChild(name: string, args: string[], env: Record<string, string>): ChildProcess {
  if (PROFILE_DIR) args = ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, ...args]
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] })
  children.add(child)
  child.on('exit', (code, signal) => {
    children.delete(child)
    if (!stopping) failChild(new Error(`${name} exited early (code ${code}, signal ${signal})`))
  })
  return child
}

async function stopChildren(): Promise<void> {
  stopping = true
  await Promise.all(
    [...children].map(async (child) => {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    })
  )
}

async function freePort(): Promise<number> {
  const srv = createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const address = srv.address()
  srv.close()
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** The soft limit of open files, from /proc on Linux; undefined elsewhere. */
function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    return soft === 'unlimited' ? Infinity : soft ? Number(soft) : undefined
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system) a child has used so far, from /proc on Linux; NaN elsewhere. */
function childCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

/** CPU seconds this process has used so far. */
function ownCpuSeconds(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

/** Counts CPU while something runs: the server's and this client's. */
function cpuMeter(pid: number | undefined) {
  const server0 = childCpuSeconds(pid)
  const client0 = ownCpuSeconds()
  const wall0 = performance.now()
  return () => {
    const wall = (performance.now() - wall0) / 1000
    const server = childCpuSeconds(pid) - server0
    const client = ownCpuSeconds() - client0
    return { wall_s: round(wall, 3), server_cpu_s: round(server, 2), client_cpu_s: round(client, 2), server_busy: round(server / wall, 2), client_busy: round(client / wall, 2) }
  }
}

// ---- HTTP ----

interface HttpResult {
  status: number
  body: string
}

function http(agent: Agent, port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) }
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      }
    )
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)))
    req.on('error', reject)
    req.end(payload)
  })
}

async function waitHealthy(port: number, path: string): Promise<void> {
  const agent = new Agent({ keepAlive: false })
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      if ((await http(agent, port, 'GET', path)).status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer on 127.0.0.1:${port}${path} after 30 s`)
    await Promise.race([new Promise((r) => setTimeout(r, 100)), childFailure])
  }
}

// ---- measuring ----

/** Deliveries of one phase: which socket got which message, when. */
class Phase {
  readonly sendStart: Float64Array
  readonly perMessage: Uint32Array
  readonly perSocket: Uint32Array
  readonly latencies: Float64Array
  delivered = 0
  duplicates = 0
  firstSend = 0
  lastArrival = 0
  private readonly expected: number
  private waiters = new Map<number, () => void>()
  private resolveAll!: () => void
  readonly all = new Promise<void>((r) => (this.resolveAll = r))

  constructor(
    readonly key: PhaseKey,
    readonly messages: number,
    readonly sockets: number
  ) {
    this.sendStart = new Float64Array(messages)
    this.perMessage = new Uint32Array(messages)
    this.perSocket = new Uint32Array(sockets)
    this.latencies = new Float64Array(messages * sockets)
    this.expected = messages * sockets
  }

  deliver(socket: number, index: number, at: number): void {
    if (index >= this.messages) return
    if (++this.perMessage[index] > this.sockets) {
      this.duplicates++
      return
    }
    this.perSocket[socket]++
    this.latencies[this.delivered++] = at - this.sendStart[index]
    this.lastArrival = at
    if (this.perMessage[index] === this.sockets) {
      this.waiters.get(index)?.()
      this.waiters.delete(index)
    }
    if (this.delivered === this.expected) this.resolveAll()
  }

  /** Resolves once every socket has message `index`. */
  complete(index: number): Promise<void> {
    if (this.perMessage[index] >= this.sockets) return Promise.resolve()
    return new Promise((r) => this.waiters.set(index, r))
  }

  progress(): string {
    const short = [...this.perSocket].filter((n) => n < this.messages).length
    return `${this.delivered}/${this.expected} deliveries; ${short} sockets short of ${this.messages} messages`
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]
}

function latencyStats(samples: Float64Array) {
  const sorted = Float64Array.from(samples).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return {
    p50_ms: round(percentile(sorted, 50)),
    p90_ms: round(percentile(sorted, 90)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted[sorted.length - 1]),
    mean_ms: round(sum / sorted.length),
    samples: sorted.length
  }
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits

async function within<T>(what: string, ms: number, p: Promise<T>, detail?: () => string, abort?: Promise<never>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms${detail ? ` (${detail()})` : ''}`)), ms)
  })
  try {
    return await Promise.race([p, timeout, childFailure, ...(abort ? [abort] : [])])
  } finally {
    clearTimeout(timer)
  }
}

/** Opens `count` sockets, `parallel` at a time, and runs `setup` on each. */
async function openAll(count: number, parallel: number, open: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await open(next++)
    })
  )
}

// ---- targets ----

interface Target {
  name: 'ours' | 'baseline'
  pid: number | undefined
  port: number
  wsPath: string
  wsHeaders: Record<string, string>
  /** After `open`: what makes the socket receive messages (a subscription for ours). */
  ready(ws: WebSocket, frames: FrameWaiter): Promise<void>
  /** One message in over HTTP. */
  send(agent: Agent, phase: PhaseKey, index: number): Promise<void>
}

/** Hands JSON frames that are not benchmark messages to whoever waits for them. */
class FrameWaiter {
  private waiting: { type: string; resolve: (f: Record<string, unknown>) => void }[] = []
  take(text: string): void {
    let frame: Record<string, unknown>
    try {
      frame = JSON.parse(text)
    } catch {
      return
    }
    const i = this.waiting.findIndex((w) => w.type === frame.type)
    if (i >= 0) this.waiting.splice(i, 1)[0].resolve(frame)
  }
  next(type: string): Promise<Record<string, unknown>> {
    return new Promise((resolvePromise) => this.waiting.push({ type, resolve: resolvePromise }))
  }
}

async function startOurs(dataDir: string): Promise<Target> {
  const port = await freePort()
  const child = startChild('the service', ['--import', 'tsx', 'src/server.ts'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    RATE_LIMIT_AUTH_MAX: '0'
  })
  await waitHealthy(port, '/api/v1/health')

  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const credentials = { email: 'bench@example.com', password: 'correct horse battery staple' }
  const reg = await http(agent, port, 'POST', '/api/v1/auth/register', credentials)
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${reg.body}`)
  const login = await http(agent, port, 'POST', '/api/v1/auth/login', credentials)
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.body}`)
  const token = (JSON.parse(login.body) as { access_token: string }).access_token
  const auth = { authorization: `Bearer ${token}` }
  const conv = await http(agent, port, 'POST', '/api/v1/conversations', { title: 'bench', is_ai: false }, auth)
  if (conv.status !== 201) throw new Error(`create conversation: ${conv.status} ${conv.body}`)
  const conversationId = (JSON.parse(conv.body) as { id: string }).id
  agent.destroy()

  return {
    name: 'ours',
    pid: child.pid,
    port,
    wsPath: '/ws',
    wsHeaders: auth,
    async ready(ws, frames) {
      await frames.next('ready')
      const subscribed = frames.next('subscribed')
      ws.send(JSON.stringify({ type: 'subscribe', conversation_id: conversationId }))
      await subscribed
    },
    async send(agent, phase, index) {
      const res = await http(agent, port, 'POST', `/api/v1/conversations/${conversationId}/messages`, { content: content(phase, index) }, auth)
      if (res.status !== 201) throw new Error(`send: ${res.status} ${res.body}`)
    }
  }
}

async function startBaseline(template: string): Promise<Target> {
  const port = await freePort()
  const child = startChild('the baseline server', ['--import', 'tsx', 'bench/baseline-server.ts'], { PORT: String(port) })
  await waitHealthy(port, '/health')
  const frame = JSON.parse(template) as { seq: number; message: { content: string; seq: number } }
  return {
    name: 'baseline',
    pid: child.pid,
    port,
    wsPath: '/',
    wsHeaders: {},
    async ready() {},
    async send(agent, phase, index) {
      // The same frame as ours sends, with this message's content.
      frame.seq = frame.message.seq = index + 1
      frame.message.content = content(phase, index)
      const res = await http(agent, port, 'POST', '/send', JSON.stringify(frame))
      if (res.status !== 201) throw new Error(`send: ${res.status} ${res.body}`)
    }
  }
}

interface TargetResult {
  throughput: {
    messages: number
    concurrency: number
    seconds: number
    messages_per_s: number
    deliveries_per_s: number
    http_only_messages_per_s: number
    latency_under_load: ReturnType<typeof latencyStats>
    cpu: ReturnType<ReturnType<typeof cpuMeter>>
    server_cpu_us_per_message: number
  }
  latency: ReturnType<typeof latencyStats> & {
    messages: number
    fanout_complete_p50_ms: number
    fanout_complete_p99_ms: number
    cpu: ReturnType<ReturnType<typeof cpuMeter>>
  }
  frame_bytes: number
  sockets: number
}

async function measure(target: Target): Promise<{ result: TargetResult; sampleFrame?: string }> {
  const n = settings.sockets
  const sockets: WebSocket[] = []
  let current: Phase | null = null
  let closing = false
  let unexpectedCloses = 0
  let loseSocket: (err: Error) => void = () => {}
  /** Rejects as soon as the server closes one of the sockets (a slow-reader drop, a crash). */
  const lost = new Promise<never>((_, reject) => (loseSocket = reject))
  lost.catch(() => {})
  let frameBytes = 0
  let sampleFrame: string | undefined
  const base = `ws://127.0.0.1:${target.port}${target.wsPath}`

  console.log(`[${target.name}] opening ${n} sockets`)
  const t0 = performance.now()
  await within(`[${target.name}] opening sockets`, PHASE_TIMEOUT_MS, openAll(n, 50, async (i) => {
    const ws = new WebSocket(base, { headers: target.wsHeaders, perMessageDeflate: false })
    const frames = new FrameWaiter()
    sockets[i] = ws
    ws.on('message', (data: Buffer) => {
      const at = performance.now()
      const m = data.indexOf(MARK)
      if (m < 0) return frames.take(data.toString('utf8'))
      const p = m + MARK.length
      const phase = String.fromCharCode(data[p])
      let index = 0
      for (let k = p + 1; k < p + 8; k++) index = index * 10 + (data[k] - 48)
      if (current && current.key === phase) current.deliver(i, index, at)
      if (!sampleFrame) {
        sampleFrame = data.toString('utf8')
        frameBytes = data.length
      }
    })
    ws.on('close', (code, reason) => {
      if (closing) return
      unexpectedCloses++
      loseSocket(new Error(`[${target.name}] socket ${i} was closed by the server: ${code} ${reason.toString()}`))
    })
    ws.on('error', () => {})
    const ready = target.ready(ws, frames)
    await new Promise<void>((resolveOpen, reject) => {
      ws.once('open', () => resolveOpen())
      ws.once('error', reject)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`socket ${i}: HTTP ${res.statusCode}`)))
    })
    await ready
  }), undefined, lost)
  console.log(`[${target.name}] ${n} sockets ready in ${round((performance.now() - t0) / 1000)} s`)

  const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency })
  const check = (phase: Phase) => {
    if (unexpectedCloses > 0) throw new Error(`[${target.name}] ${unexpectedCloses} sockets were closed by the server during ${phase.key}`)
    if (phase.duplicates > 0) throw new Error(`[${target.name}] ${phase.duplicates} duplicate deliveries during ${phase.key}`)
  }

  /** Sends `count` messages with `parallel` in flight; resolves when all POSTs are answered. */
  const sendAll = async (phase: Phase, parallel: number) => {
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(parallel, phase.messages) }, async () => {
        while (next < phase.messages) {
          const i = next++
          phase.sendStart[i] = performance.now()
          await target.send(agent, phase.key, i)
        }
      })
    )
  }

  // Warm-up: the same work, not measured.
  const warm = (current = new Phase('w', settings.warmup, n))
  await within(`[${target.name}] warm-up`, PHASE_TIMEOUT_MS, Promise.all([sendAll(warm, settings.concurrency), warm.all]), () => warm.progress(), lost)
  check(warm)

  // Throughput: all messages with bounded concurrency; done when every socket has every message.
  console.log(`[${target.name}] throughput: ${settings.messages} messages, ${settings.concurrency} in flight`)
  const tp = (current = new Phase('t', settings.messages, n))
  const tpCpu = cpuMeter(target.pid)
  tp.firstSend = performance.now()
  let httpDone = 0
  await within(
    `[${target.name}] throughput`,
    PHASE_TIMEOUT_MS,
    Promise.all([sendAll(tp, settings.concurrency).then(() => (httpDone = performance.now())), tp.all]),
    () => tp.progress(),
    lost
  )
  const tpCpuUsed = tpCpu()
  check(tp)
  const tpSeconds = (tp.lastArrival - tp.firstSend) / 1000

  // Latency: one message at a time, the next once every socket has the previous one.
  console.log(`[${target.name}] latency: ${settings.latencyMessages} messages one at a time`)
  const lat = (current = new Phase('l', settings.latencyMessages, n))
  const fanout = new Float64Array(settings.latencyMessages)
  const latCpu = cpuMeter(target.pid)
  await within(
    `[${target.name}] latency`,
    PHASE_TIMEOUT_MS,
    (async () => {
      for (let i = 0; i < lat.messages; i++) {
        const start = (lat.sendStart[i] = performance.now())
        await Promise.all([target.send(agent, 'l', i), lat.complete(i)])
        fanout[i] = lat.lastArrival - start
      }
    })(),
    () => lat.progress(),
    lost
  )
  const latCpuUsed = latCpu()
  check(lat)
  current = null

  const fanoutSorted = Float64Array.from(fanout).sort()
  const result: TargetResult = {
    throughput: {
      messages: settings.messages,
      concurrency: settings.concurrency,
      seconds: round(tpSeconds, 3),
      messages_per_s: round(settings.messages / tpSeconds, 1),
      deliveries_per_s: Math.round((settings.messages * n) / tpSeconds),
      http_only_messages_per_s: round(settings.messages / ((httpDone - tp.firstSend) / 1000), 1),
      latency_under_load: latencyStats(tp.latencies),
      cpu: tpCpuUsed,
      server_cpu_us_per_message: Math.round((tpCpuUsed.server_cpu_s * 1e6) / settings.messages)
    },
    latency: {
      messages: settings.latencyMessages,
      ...latencyStats(lat.latencies),
      fanout_complete_p50_ms: round(percentile(fanoutSorted, 50)),
      fanout_complete_p99_ms: round(percentile(fanoutSorted, 99)),
      cpu: latCpuUsed
    },
    frame_bytes: frameBytes,
    sockets: n
  }

  agent.destroy()
  closing = true
  const closed = sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? Promise.resolve() : once(ws, 'close')))
  for (const ws of sockets) ws.terminate()
  await within(`[${target.name}] closing sockets`, 10_000, Promise.all(closed))
  return { result, sampleFrame }
}

// ---- the run ----

function table(ours: TargetResult, baseline: TargetResult): string {
  const rows: [string, number, number, 'higher' | 'lower'][] = [
    ['throughput, messages/s (all sockets got all)', ours.throughput.messages_per_s, baseline.throughput.messages_per_s, 'higher'],
    ['throughput, socket deliveries/s', ours.throughput.deliveries_per_s, baseline.throughput.deliveries_per_s, 'higher'],
    ['HTTP-only rate, messages/s (POSTs answered)', ours.throughput.http_only_messages_per_s, baseline.throughput.http_only_messages_per_s, 'higher'],
    ['latency under load p50, ms', ours.throughput.latency_under_load.p50_ms, baseline.throughput.latency_under_load.p50_ms, 'lower'],
    ['latency under load p99, ms', ours.throughput.latency_under_load.p99_ms, baseline.throughput.latency_under_load.p99_ms, 'lower'],
    ['server CPU per message (throughput), µs', ours.throughput.server_cpu_us_per_message, baseline.throughput.server_cpu_us_per_message, 'lower'],
    ['server busy (CPU s / wall s, throughput)', ours.throughput.cpu.server_busy, baseline.throughput.cpu.server_busy, 'lower'],
    ['client busy (CPU s / wall s, throughput)', ours.throughput.cpu.client_busy, baseline.throughput.cpu.client_busy, 'lower'],
    ['latency one at a time p50, ms', ours.latency.p50_ms, baseline.latency.p50_ms, 'lower'],
    ['latency one at a time p99, ms', ours.latency.p99_ms, baseline.latency.p99_ms, 'lower'],
    ['fan-out complete (last socket) p50, ms', ours.latency.fanout_complete_p50_ms, baseline.latency.fanout_complete_p50_ms, 'lower'],
    ['fan-out complete (last socket) p99, ms', ours.latency.fanout_complete_p99_ms, baseline.latency.fanout_complete_p99_ms, 'lower']
  ]
  const lines = [['metric', 'ours', 'baseline', 'ours/baseline'], ...rows.map(([m, o, b]) => [m, String(o), String(b), (o / b).toFixed(2)])]
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)))
  return lines.map((l, r) => l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ') + (r === 0 ? '\n' + widths.map((w) => '-'.repeat(w)).join('  ') : '')).join('\n')
}

async function main(): Promise<void> {
  const limit = openFileLimit()
  if (limit !== undefined && limit < settings.sockets + 200) {
    throw new Error(`${settings.sockets} sockets need more open files than the limit of ${limit}: raise it first (ulimit -n ${settings.sockets * 2 + 1024})`)
  }
  console.log(`settings: ${JSON.stringify(settings)}; ${cpus().length} cores; open-file limit ${limit ?? 'unknown'}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)

  const loadAtStart = loadavg().map((l) => round(l))
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-realtime-'))
  try {
    const o = await measure(await startOurs(dataDir))
    if (!o.sampleFrame) throw new Error('no message.created frame was seen to copy for the baseline')
    const b = await measure(await startBaseline(o.sampleFrame))

    const ratio = {
      throughput_messages_per_s: round(o.result.throughput.messages_per_s / b.result.throughput.messages_per_s, 3),
      latency_p50: round(o.result.latency.p50_ms / b.result.latency.p50_ms, 3),
      latency_p99: round(o.result.latency.p99_ms / b.result.latency.p99_ms, 3),
      latency_under_load_p50: round(o.result.throughput.latency_under_load.p50_ms / b.result.throughput.latency_under_load.p50_ms, 3),
      latency_under_load_p99: round(o.result.throughput.latency_under_load.p99_ms / b.result.throughput.latency_under_load.p99_ms, 3),
      server_cpu_per_message: round(o.result.throughput.server_cpu_us_per_message / b.result.throughput.server_cpu_us_per_message, 3)
    }
    const report = {
      date: new Date().toISOString(),
      load_average_at_start: loadAtStart,
      load_average_at_end: loadavg().map((l) => round(l)),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, memory_gb: round(totalmem() / 2 ** 30, 1), node: process.version, os: `${process.platform} ${release()}` },
      settings,
      ours: o.result,
      baseline: b.result,
      ratio_ours_to_baseline: ratio
    }
    console.log(`\n${settings.sockets} sockets, frame ${o.result.frame_bytes} B (ours) / ${b.result.frame_bytes} B (baseline)\n`)
    console.log(table(o.result, b.result))
    mkdirSync(dirname(OUT), { recursive: true })
    writeFileSync(OUT, JSON.stringify(report, null, 2) + '\n')
    console.log(`\nwritten to ${OUT}`)
  } finally {
    await stopChildren()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const deadline = setTimeout(() => {
  console.error(`bench: stopped after ${settings.timeoutMs} ms`)
  void stopChildren().finally(() => process.exit(2))
}, settings.timeoutMs)
deadline.unref()

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void stopChildren().finally(() => process.exit(130)))
}

try {
  await Promise.race([main(), childFailure])
  clearTimeout(deadline)
  process.exit(0)
} catch (err) {
  console.error('bench failed:', err instanceof Error ? err.message : err)
  await stopChildren()
  process.exit(1)
}
