import { accessSync, constants, mkdirSync } from 'node:fs'
import type { Runner } from './runner.js'

/** What a shell inherits from the server's environment: nothing secret (no keys, no tokens). */
const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR']

export interface PtyOptions {
  shell: string
  cwd: string
  cols: number
  rows: number
}

/** The environment a session's shell starts with. */
export function shellEnvironment(shell: string, cwd: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const key of INHERITED) {
    const value = process.env[key]
    if (value !== undefined) env[key] = value
  }
  return { ...env, SHELL: shell, PWD: cwd, TERM: 'xterm-256color', COLORTERM: 'truecolor' }
}

/**
 * A real shell on a pseudo-terminal (node-pty), in the workspace's folder (created when missing).
 * It inherits only harmless variables of the server's environment. Stopping it hangs up its
 * process group, as closing a terminal does, and kills it if it is still there after a grace period.
 * node-pty, a native module, is loaded on the first session, not when the service starts.
 */
export async function startPty(options: PtyOptions): Promise<Runner> {
  // node-pty forks before it runs the shell: a shell that cannot run would only show as an exit.
  try {
    accessSync(options.shell, constants.X_OK)
  } catch {
    throw new Error(`the shell ${options.shell} cannot be run`)
  }
  mkdirSync(options.cwd, { recursive: true })
  const { spawn } = await import('node-pty')
  const proc = spawn(options.shell, [], {
    name: 'xterm-256color',
    cwd: options.cwd,
    cols: options.cols,
    rows: options.rows,
    env: shellEnvironment(options.shell, options.cwd)
  })
  let exited = false
  const exit = new Promise<number | null>((resolve) => {
    proc.onExit(({ exitCode, signal }) => {
      exited = true
      resolve(signal ? null : exitCode)
    })
  })
  const signal = (name: NodeJS.Signals) => {
    if (exited) return
    try {
      // The shell leads its own session and process group: hang up the group, jobs included.
      process.kill(-proc.pid, name)
    } catch {
      try {
        proc.kill(name)
      } catch {
        // Gone already.
      }
    }
  }
  return {
    pid: proc.pid,
    exit,
    onData: (listener) => {
      proc.onData(listener)
    },
    write: (data) => proc.write(data),
    resize: (cols, rows) => proc.resize(cols, rows),
    async stop(graceMs) {
      signal('SIGHUP')
      const timer = setTimeout(() => signal('SIGKILL'), graceMs)
      try {
        await exit
      } finally {
        clearTimeout(timer)
      }
    }
  }
}
