/** What runs behind a dispatch session: a shell on a pseudo-terminal, or an assistant conversation. */
export interface Runner {
  /** The process id of a shell; none for an assistant. */
  pid?: number
  /** Settles when it ends on its own or was stopped: the exit code, or null when there is none (a signal). */
  exit: Promise<number | null>
  /** Terminal output, in order. */
  onData(listener: (data: string) => void): void
  /** Terminal input (keystrokes). */
  write(data: string): void
  resize(cols: number, rows: number): void
  /** Ends it; resolves once it is gone (forcibly after `graceMs`). */
  stop(graceMs: number): Promise<void>
}
