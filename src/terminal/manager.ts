import { DomainError } from '../domain/errors.js'
import { nowIso } from '../domain/clock.js'
import type { BeginSessionInput, DispatchService, DispatchSessionRecord } from '../domain/dispatch.js'
import { startPty } from './pty.js'
import type { Runner } from './runner.js'

/** Starts the assistant behind a `claude` session. */
export type AssistantStarter = (session: DispatchSessionRecord) => Promise<{ runner: Runner; conversationId: string }>

export interface TerminalManagerOptions {
  dispatch: DispatchService
  /** The shell a `pty` session runs. */
  shell: string
  startAssistant: AssistantStarter
  log: { error(obj: unknown, msg?: string): void }
  /** Activity is written to the database at most this often per session. */
  activityFlushMs?: number
  /** How long a stopped shell has to exit before it is killed. */
  stopGraceMs?: number
  /** How much recent output a session keeps for clients that attach later. */
  scrollbackChars?: number
}

type OutputListener = (sessionId: string, data: string) => void

interface Live {
  runner: Runner
  scrollback: string
  lastFlush: number
  flushTimer?: NodeJS.Timeout
  /** Settles once the end is recorded. */
  done: Promise<void>
}

/**
 * The live sessions of this server: their processes, their recent output, and who listens to
 * it. What may start, and what a session's record says, are the dispatch service's: a session is
 * recorded before its process starts and ended when it exits, is stopped, or the server closes.
 */
export class TerminalManager {
  private readonly live = new Map<string, Live>()
  private readonly listeners = new Set<OutputListener>()
  private closing = false
  private readonly flushMs: number
  private readonly graceMs: number
  private readonly scrollbackChars: number

  constructor(private readonly options: TerminalManagerOptions) {
    this.flushMs = options.activityFlushMs ?? 2000
    this.graceMs = options.stopGraceMs ?? 3000
    this.scrollbackChars = options.scrollbackChars ?? 64 * 1024
  }

  /** Records a session, starts its shell or assistant, and returns it running (or ended, if it failed). */
  async start(input: BeginSessionInput): Promise<DispatchSessionRecord> {
    const { dispatch } = this.options
    if (this.closing) throw new DomainError('DISPATCH_SESSION_FAILED', 'The server is shutting down')
    const session = dispatch.beginSession(input)
    let runner: Runner
    let conversationId: string | undefined
    try {
      if (session.type === 'pty') {
        runner = await startPty({ shell: this.options.shell, cwd: session.workspace_path, cols: session.cols, rows: session.rows })
      } else {
        ;({ runner, conversationId } = await this.options.startAssistant(session))
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      dispatch.markEnded(session.id, { status: 'error', error: reason })
      throw new DomainError('DISPATCH_SESSION_FAILED', `Session could not start: ${reason}`)
    }
    const live: Live = { runner, scrollback: '', lastFlush: Date.now(), done: Promise.resolve() }
    this.live.set(session.id, live)
    runner.onData((data) => this.output(session.id, live, data))
    live.done = runner.exit.then((code) => this.ended(session.id, live, code))
    return dispatch.markRunning(session.id, { pid: runner.pid, conversationId })
  }

  /** Stops a session and waits until its process is gone; returns it ended. Stopping an ended one returns it as it is. */
  async stop(sessionId: string): Promise<DispatchSessionRecord> {
    const { dispatch } = this.options
    const session = dispatch.getSession(sessionId)
    const live = this.live.get(sessionId)
    if (live) {
      await live.runner.stop(this.graceMs)
      await live.done
    } else if (session.status === 'starting' || session.status === 'running') {
      // Recorded but not running here (its start failed half-way): end the record.
      return dispatch.markEnded(sessionId, { status: 'stopped' })
    }
    return dispatch.getSession(sessionId)
  }

  /** Sends keystrokes to a running session. */
  write(sessionId: string, data: string): void {
    const live = this.requireLive(sessionId)
    live.runner.write(data)
    this.noteActivity(sessionId, live)
  }

  resize(sessionId: string, cols: number, rows: number): DispatchSessionRecord {
    const live = this.requireLive(sessionId)
    live.runner.resize(cols, rows)
    return this.options.dispatch.resize(sessionId, cols, rows)
  }

  /** The recent output of a running session (for a client that attaches), or '' when it is not running here. */
  scrollback(sessionId: string): string {
    return this.live.get(sessionId)?.scrollback ?? ''
  }

  isRunning(sessionId: string): boolean {
    return this.live.has(sessionId)
  }

  /** Listens to every running session's output; returns the function that stops listening. */
  onOutput(listener: OutputListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Stops every session and refuses new ones: the server is closing. */
  async close(): Promise<void> {
    this.closing = true
    await Promise.all(
      [...this.live.keys()].map((id) => this.stop(id).catch((err) => this.options.log.error({ err, sessionId: id }, 'stopping a session failed')))
    )
  }

  private requireLive(sessionId: string): Live {
    const live = this.live.get(sessionId)
    if (live) return live
    this.options.dispatch.getSession(sessionId)
    throw new DomainError('DISPATCH_SESSION_NOT_RUNNING', `Session is not running: ${sessionId}`)
  }

  private output(sessionId: string, live: Live, data: string): void {
    live.scrollback = (live.scrollback + data).slice(-this.scrollbackChars)
    for (const listener of this.listeners) {
      try {
        listener(sessionId, data)
      } catch (err) {
        this.options.log.error({ err, sessionId }, 'a session output listener failed')
      }
    }
    this.noteActivity(sessionId, live)
  }

  /** Activity reaches the database (and the session's and workspace's last activity) at most every flushMs. */
  private noteActivity(sessionId: string, live: Live): void {
    if (live.flushTimer) return
    const wait = Math.max(0, live.lastFlush + this.flushMs - Date.now())
    live.flushTimer = setTimeout(() => {
      live.flushTimer = undefined
      live.lastFlush = Date.now()
      if (this.live.get(sessionId) !== live) return
      try {
        this.options.dispatch.recordActivity(sessionId, nowIso())
      } catch (err) {
        this.options.log.error({ err, sessionId }, 'recording session activity failed')
      }
    }, wait)
    live.flushTimer.unref()
  }

  private ended(sessionId: string, live: Live, exitCode: number | null): void {
    if (live.flushTimer) clearTimeout(live.flushTimer)
    live.flushTimer = undefined
    this.live.delete(sessionId)
    try {
      this.options.dispatch.markEnded(sessionId, { status: 'stopped', exitCode })
    } catch (err) {
      this.options.log.error({ err, sessionId }, 'recording the end of a session failed')
    }
  }
}
