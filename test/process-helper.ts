import { type ChildProcess, spawn } from 'node:child_process'

export interface ServerProcess {
  child: ChildProcess
  /** http://127.0.0.1:<port>, once the server says it listens; rejects if it exits first. */
  url: Promise<string>
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>
  /** Everything it wrote to stdout and stderr so far. */
  output(): string
}

/** Runs a server process that listens on 127.0.0.1 (PORT=0 in `env` picks a free port). */
export function startServerProcess(command: string, args: string[], options: { cwd: string; env: Record<string, string | undefined> }): ServerProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString()
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (m) resolve(m[1]!)
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${output}`)))
  })
  return { child, url, exited, output: () => output }
}
