import type { ToolSpec } from '../types.js'

/** What a tool run gets besides its arguments. */
export interface ToolContext {
  signal: AbortSignal
}

/**
 * A tool the tool loop can call: its spec (what the model sees) and how to run it. `run` returns the
 * text handed back to the model (JSON for the built-ins); it may throw, and the loop turns a throw
 * into an error result the model sees, never a failed reply.
 */
export interface RunnableTool {
  /** The tool's id in the API (`calculator`, or a custom tool's UUID). */
  id: string
  spec: ToolSpec
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<string>
}

/** A tool as `/api/v1/tools` lists it. */
export interface ToolDefinition {
  id: string
  name: string
  description: string
  category: string
  parameters: Record<string, unknown>
  kind: 'builtin' | 'http'
}
