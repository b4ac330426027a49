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
 * Both servers are warmed up, then rounds alternate between them (each round: throughput, then
 * latency), so a change in the machine's load hits both alike; throughput is the median round,
 * latencies pool every delivery of every round. Server CPU per message is read from /proc.
 *
 * This process is the client of every socket. Everything listens on 127.0.0.1 only. Settings come
 * from the environment or flags (`--sockets 500`, `--messages 2000`, ...; see `settings` below).
 * Results are printed and written to `bench/results/realtime-latest.json`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
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
    rounds: { type: 'string' },
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
  /** Rounds; each runs the throughput then the latency phase on both servers, in alternating order. */
  rounds: setting(flags.rounds, 'BENCH_ROUNDS', 3, 1, 100),
  /** Messages of each throughput phase. */
  messages: setting(flags.messages, 'BENCH_MESSAGES', 500, 1, 100_000),
  /** Messages of each latency phase, sent one at a time. */
  latencyMessages: setting(flags['latency-messages'], 'BENCH_LATENCY_MESSAGES', 100, 1, 100_000),
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
    return {
      wall_s: round(wall, 3),
      server_cpu_s: round(server, 2),
      client_cpu_s: round(client, 2),
      server_busy: round(server / wall, 2),
      client_busy: round(client / wall, 2)
    }
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
    // index < messages and socket < sockets: the typed-array reads below are in range.
    if (++this.perMessage[index]! > this.sockets) {
      this.duplicates++
      return
    }
    this.perSocket[socket]!++
    this.latencies[this.delivered++] = at - this.sendStart[index]!
    this.lastArrival = at
    if (this.perMessage[index] === this.sockets) {
      this.waiters.get(index)?.()
      this.waiters.delete(index)
    }
    if (this.delivered === this.expected) this.resolveAll()
  }

  /** Resolves once every socket has message `index`. */
  complete(index: number): Promise<void> {
    if ((this.perMessage[index] ?? 0) >= this.sockets) return Promise.resolve()
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
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!
}

function latencyStats(samples: Float64Array) {
  const sorted = Float64Array.from(samples).sort()
  let sum = 0
  for (const v of sorted) sum += v
  return {
    p50_ms: round(percentile(sorted, 50)),
    p90_ms: round(percentile(sorted, 90)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted.at(-1) ?? NaN),
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
    if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(frame)
  }
  next(type: string): Promise<Record<string, unknown>> {
    return new Promise((resolvePromise) => this.waiting.push({ type, resolve: resolvePromise }))
  }
}

async function startOurs(dataDir: string): Promise<Target> {
  const port = await freePort()
  // The service as `npm start` runs it: the bundle, built first when a source changed.
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' })
  const child = startChild('the service', ['dist/server.js'], {
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    RATE_LIMIT_AUTH_MAX: '0',
    // All the sockets are one user's, from one address: room for all of them under both caps.
    WS_MAX_SOCKETS_PER_USER: String(settings.sockets + 10),
    MAX_CONNECTIONS_PER_IP: '0'
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

type Cpu = ReturnType<ReturnType<typeof cpuMeter>>

interface ThroughputRound {
  seconds: number
  messages_per_s: number
  http_only_messages_per_s: number
  cpu: Cpu
}

/** The sockets of one target, all ready, and the phases run over them. */
class Session {
  readonly sockets: WebSocket[] = []
  private current: Phase | null = null
  private closing = false
  private loseSocket: (err: Error) => void = () => {}
  /** Rejects as soon as the server closes one of the sockets (a slow-reader drop, a crash). */
  readonly lost = new Promise<never>((_, reject) => (this.loseSocket = reject))
  frameBytes = 0
  sampleFrame: string | undefined
  private readonly agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency })
  // Everything measured, over all rounds.
  readonly throughputRounds: ThroughputRound[] = []
  readonly underLoad: Float64Array[] = []
  readonly oneAtATime: Float64Array[] = []
  readonly fanout: number[] = []
  private latencyCpu: Cpu[] = []

  constructor(readonly target: Target) {
    this.lost.catch(() => {})
  }

  async open(): Promise<void> {
    const { target } = this
    const n = settings.sockets
    const base = `ws://127.0.0.1:${target.port}${target.wsPath}`
    console.log(`[${target.name}] opening ${n} sockets`)
    const t0 = performance.now()
    const openOne = async (i: number) => {
      const ws = new WebSocket(base, { headers: target.wsHeaders, perMessageDeflate: false })
      const frames = new FrameWaiter()
      this.sockets[i] = ws
      ws.on('message', (data: Buffer) => {
        const at = performance.now()
        const m = data.indexOf(MARK)
        if (m < 0) return frames.take(data.toString('utf8'))
        // The mark is followed by the phase letter and seven digits (the content this bench sends).
        const p = m + MARK.length
        const phase = String.fromCharCode(data[p]!)
        let index = 0
        for (let k = p + 1; k < p + 8; k++) index = index * 10 + (data[k]! - 48)
        const current = this.current
        if (current && current.key === phase) current.deliver(i, index, at)
        if (!this.sampleFrame) {
          this.sampleFrame = data.toString('utf8')
          this.frameBytes = data.length
        }
      })
      ws.on('close', (code, reason) => {
        if (!this.closing) this.loseSocket(new Error(`[${target.name}] socket ${i} was closed by the server: ${code} ${reason.toString()}`))
      })
      ws.on('error', () => {})
      const ready = target.ready(ws, frames)
      await new Promise<void>((resolveOpen, reject) => {
        ws.once('open', () => resolveOpen())
        ws.once('error', reject)
        ws.once('unexpected-response', (_req, res) => reject(new Error(`socket ${i}: HTTP ${res.statusCode}`)))
      })
      await ready
    }
    await within(`[${target.name}] opening sockets`, PHASE_TIMEOUT_MS, openAll(n, 50, openOne), undefined, this.lost)
    console.log(`[${target.name}] ${n} sockets ready in ${round((performance.now() - t0) / 1000)} s`)
  }

  private check(phase: Phase): void {
    if (phase.duplicates > 0) throw new Error(`[${this.target.name}] ${phase.duplicates} duplicate deliveries in phase ${phase.key}`)
  }

  /** Sends every message of a phase with `parallel` in flight; resolves when all POSTs are answered. */
  private async sendAll(phase: Phase, parallel: number): Promise<void> {
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(parallel, phase.messages) }, async () => {
        while (next < phase.messages) {
          const i = next++
          phase.sendStart[i] = performance.now()
          await this.target.send(this.agent, phase.key, i)
        }
      })
    )
  }

  /** Messages sent and fully delivered before measuring, not measured. */
  async warmUp(): Promise<void> {
    const warm = new Phase('w', settings.warmup, settings.sockets)
    this.current = warm
    await within(
      `[${this.target.name}] warm-up`,
      PHASE_TIMEOUT_MS,
      Promise.all([this.sendAll(warm, settings.concurrency), warm.all]),
      () => warm.progress(),
      this.lost
    )
    this.check(warm)
    this.current = null
  }

  /** All messages with bounded concurrency; done when every socket has every message. */
  async throughput(): Promise<ThroughputRound> {
    const { name } = this.target
    const tp = new Phase('t', settings.messages, settings.sockets)
    this.current = tp
    const cpu = cpuMeter(this.target.pid)
    tp.firstSend = performance.now()
    let httpDone = 0
    await within(
      `[${name}] throughput`,
      PHASE_TIMEOUT_MS,
      Promise.all([this.sendAll(tp, settings.concurrency).then(() => (httpDone = performance.now())), tp.all]),
      () => tp.progress(),
      this.lost
    )
    const used = cpu()
    this.check(tp)
    this.current = null
    const seconds = (tp.lastArrival - tp.firstSend) / 1000
    const r: ThroughputRound = {
      seconds: round(seconds, 3),
      messages_per_s: round(settings.messages / seconds, 1),
      http_only_messages_per_s: round(settings.messages / ((httpDone - tp.firstSend) / 1000), 1),
      cpu: used
    }
    this.throughputRounds.push(r)
    this.underLoad.push(tp.latencies)
    console.log(
      `[${name}] throughput: ${r.messages_per_s} messages/s to all ${settings.sockets} sockets (server busy ${used.server_busy}, client busy ${used.client_busy})`
    )
    return r
  }

  /** One message at a time, the next once every socket has the previous one. */
  async latency(): Promise<void> {
    const { name } = this.target
    const lat = new Phase('l', settings.latencyMessages, settings.sockets)
    this.current = lat
    const cpu = cpuMeter(this.target.pid)
    await within(
      `[${name}] latency`,
      PHASE_TIMEOUT_MS,
      (async () => {
        for (let i = 0; i < lat.messages; i++) {
          const start = performance.now()
          lat.sendStart[i] = start
          await Promise.all([this.target.send(this.agent, 'l', i), lat.complete(i)])
          this.fanout.push(lat.lastArrival - start)
        }
      })(),
      () => lat.progress(),
      this.lost
    )
    this.latencyCpu.push(cpu())
    this.check(lat)
    this.current = null
    this.oneAtATime.push(lat.latencies)
    const sorted = Float64Array.from(lat.latencies).sort()
    console.log(`[${name}] latency: p50 ${round(percentile(sorted, 50))} ms, p99 ${round(percentile(sorted, 99))} ms`)
  }

  async close(): Promise<void> {
    this.agent.destroy()
    this.closing = true
    const closed = this.sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? Promise.resolve() : once(ws, 'close')))
    for (const ws of this.sockets) ws.terminate()
    await within(`[${this.target.name}] closing sockets`, 10_000, Promise.all(closed))
  }

  /** Throughput: the median round; latencies: every delivery of every round together. */
  result() {
    const rates = this.throughputRounds.map((r) => r.messages_per_s).sort((a, b) => a - b)
    const median = (xs: number[]) => {
      if (xs.length === 0) return NaN
      const mid = xs.length >> 1
      return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2
    }
    const serverCpu = this.throughputRounds.reduce((sum, r) => sum + r.cpu.server_cpu_s, 0)
    const concat = (parts: Float64Array[]) => {
      const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0))
      let at = 0
      for (const p of parts) {
        all.set(p, at)
        at += p.length
      }
      return all
    }
    const fanout = Float64Array.from(this.fanout).sort()
    const messagesPerS = median(rates)
    return {
      sockets: settings.sockets,
      frame_bytes: this.frameBytes,
      throughput: {
        messages_per_round: settings.messages,
        concurrency: settings.concurrency,
        messages_per_s: round(messagesPerS, 1),
        deliveries_per_s: Math.round(messagesPerS * settings.sockets),
        http_only_messages_per_s: round(median(this.throughputRounds.map((r) => r.http_only_messages_per_s).sort((a, b) => a - b)), 1),
        server_cpu_us_per_message: Math.round((serverCpu * 1e6) / (settings.messages * this.throughputRounds.length)),
        server_busy: round(median(this.throughputRounds.map((r) => r.cpu.server_busy).sort((a, b) => a - b))),
        client_busy: round(median(this.throughputRounds.map((r) => r.cpu.client_busy).sort((a, b) => a - b))),
        latency_under_load: latencyStats(concat(this.underLoad)),
        rounds: this.throughputRounds
      },
      latency: {
        messages_per_round: settings.latencyMessages,
        ...latencyStats(concat(this.oneAtATime)),
        fanout_complete_p50_ms: round(percentile(fanout, 50)),
        fanout_complete_p99_ms: round(percentile(fanout, 99)),
        cpu: this.latencyCpu
      }
    }
  }
}

type TargetResult = ReturnType<Session['result']>

// ---- the run ----

function table(ours: TargetResult, baseline: TargetResult): string {
  const rows: [string, number, number, 'higher' | 'lower'][] = [
    ['throughput, messages/s (all sockets got all)', ours.throughput.messages_per_s, baseline.throughput.messages_per_s, 'higher'],
    ['throughput, socket deliveries/s', ours.throughput.deliveries_per_s, baseline.throughput.deliveries_per_s, 'higher'],
    ['HTTP-only rate, messages/s (POSTs answered)', ours.throughput.http_only_messages_per_s, baseline.throughput.http_only_messages_per_s, 'higher'],
    ['latency under load p50, ms', ours.throughput.latency_under_load.p50_ms, baseline.throughput.latency_under_load.p50_ms, 'lower'],
    ['latency under load p99, ms', ours.throughput.latency_under_load.p99_ms, baseline.throughput.latency_under_load.p99_ms, 'lower'],
    ['server CPU per message (throughput), µs', ours.throughput.server_cpu_us_per_message, baseline.throughput.server_cpu_us_per_message, 'lower'],
    ['server busy (CPU s / wall s, throughput)', ours.throughput.server_busy, baseline.throughput.server_busy, 'lower'],
    ['client busy (CPU s / wall s, throughput)', ours.throughput.client_busy, baseline.throughput.client_busy, 'lower'],
    ['latency one at a time p50, ms', ours.latency.p50_ms, baseline.latency.p50_ms, 'lower'],
    ['latency one at a time p99, ms', ours.latency.p99_ms, baseline.latency.p99_ms, 'lower'],
    ['fan-out complete (last socket) p50, ms', ours.latency.fanout_complete_p50_ms, baseline.latency.fanout_complete_p50_ms, 'lower'],
    ['fan-out complete (last socket) p99, ms', ours.latency.fanout_complete_p99_ms, baseline.latency.fanout_complete_p99_ms, 'lower']
  ]
  const lines = [['metric', 'ours', 'baseline', 'ours/baseline'], ...rows.map(([m, o, b]) => [m, String(o), String(b), (o / b).toFixed(2)])]
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)))
  return lines
    .map(
      (l, r) =>
        l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ') +
        (r === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')
    )
    .join('\n')
}

/** The service's DATA_DIR, removed at the end however the run ends. */
let tempDir: string | undefined
const removeTempDir = () => tempDir && rmSync(tempDir, { recursive: true, force: true })

async function main(): Promise<void> {
  const limit = openFileLimit()
  if (limit !== undefined && limit < settings.sockets + 200) {
    throw new Error(`${settings.sockets} sockets need more open files than the limit of ${limit}: raise it first (ulimit -n ${settings.sockets * 2 + 1024})`)
  }
  console.log(
    `settings: ${JSON.stringify(settings)}; ${cpus().length} cores; open-file limit ${limit ?? 'unknown'}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  )

  const loadAtStart = loadavg().map((l) => round(l))
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-realtime-'))
  tempDir = dataDir
  const sessions: Session[] = []
  try {
    const ours = new Session(await startOurs(dataDir))
    sessions.push(ours)
    await ours.open()
    await ours.warmUp()
    if (!ours.sampleFrame) throw new Error('no message.created frame was seen to copy for the baseline')
    const baseline = new Session(await startBaseline(ours.sampleFrame))
    sessions.push(baseline)
    await baseline.open()
    await baseline.warmUp()
    // Rounds alternate between the two, so a change in the machine's load hits both alike.
    for (let r = 1; r <= settings.rounds; r++) {
      console.log(`round ${r}/${settings.rounds}`)
      const order = r % 2 ? [ours, baseline] : [baseline, ours]
      for (const s of order) await s.throughput()
      for (const s of order) await s.latency()
    }
    const o = { result: ours.result() }
    const b = { result: baseline.result() }

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
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model,
        memory_gb: round(totalmem() / 2 ** 30, 1),
        node: process.version,
        os: `${process.platform} ${release()}`
      },
      settings,
      ours: o.result,
      baseline: b.result,
      ratio_ours_to_baseline: ratio
    }
    console.log(`\n${settings.sockets} sockets, frame ${o.result.frame_bytes} B (ours) / ${b.result.frame_bytes} B (baseline)\n`)
    console.log(table(o.result, b.result))
    mkdirSync(dirname(OUT), { recursive: true })
    writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`\nwritten to ${OUT}`)
  } finally {
    for (const s of sessions) await s.close().catch(() => {})
    await stopChildren()
    removeTempDir()
  }
}

const deadline = setTimeout(() => {
  console.error(`bench: stopped after ${settings.timeoutMs} ms`)
  void stopChildren().finally(() => {
    removeTempDir()
    process.exit(2)
  })
}, settings.timeoutMs)
deadline.unref()

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void stopChildren().finally(() => {
      removeTempDir()
      process.exit(130)
    })
  })
}

try {
  await main()
  clearTimeout(deadline)
  process.exit(0)
} catch (err) {
  console.error('bench failed:', err instanceof Error ? err.message : err)
  await stopChildren()
  process.exit(1)
}
