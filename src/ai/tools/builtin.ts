import { CalculatorError, evaluate, formatNumber, MAX_EXPRESSION_LENGTH } from './calculator.js'
import type { RunnableTool, ToolDefinition } from './types.js'

/** A tool's refusal of its arguments: the model sees the message and may try again. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ToolInputError'
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** The current date and time, in UTC or an IANA time zone. */
export function currentTime(args: Record<string, unknown>, now: Date = new Date()) {
  const tz = args.timezone === undefined || args.timezone === null || args.timezone === '' ? 'UTC' : args.timezone
  if (typeof tz !== 'string' || !isTimeZone(tz)) throw new ToolInputError(`Unknown time zone ${JSON.stringify(tz)}: use an IANA name such as Europe/Paris`)
  const formatted = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    dateStyle: 'full',
    timeStyle: 'long'
  }).format(now)
  return { iso: now.toISOString(), timezone: tz, formatted, unix: Math.floor(now.getTime() / 1000) }
}

export function calculate(args: Record<string, unknown>) {
  const expression = args.expression
  if (typeof expression !== 'string' || !expression.trim()) throw new ToolInputError('expression must be a non-empty string')
  try {
    const value = evaluate(expression)
    return { expression: expression.trim(), result: formatNumber(value) }
  } catch (err) {
    if (err instanceof CalculatorError) throw new ToolInputError(err.message)
    throw err
  }
}

export const BUILTIN_TOOLS: (ToolDefinition & { run: RunnableTool['run'] })[] = [
  {
    id: 'current_time',
    name: 'current_time',
    description: 'The current date and time, in UTC or in a given IANA time zone.',
    category: 'utility',
    kind: 'builtin',
    parameters: {
      type: 'object',
      properties: {
        timezone: { type: 'string', description: 'An IANA time zone such as Europe/Paris; UTC when omitted.', maxLength: 64 }
      },
      additionalProperties: false
    },
    run: async (args) => JSON.stringify(currentTime(args))
  },
  {
    id: 'calculator',
    name: 'calculator',
    description:
      'Evaluates an arithmetic expression: + - * / % ^, parentheses, functions sqrt, abs, round, floor, ceil, sin, cos, tan, ln, log, exp, min, max, pow, and the constants pi and e.',
    category: 'math',
    kind: 'builtin',
    parameters: {
      type: 'object',
      properties: {
        expression: { type: 'string', description: 'The expression, e.g. (2+3)*4 or sqrt(2)/2.', maxLength: MAX_EXPRESSION_LENGTH }
      },
      required: ['expression'],
      additionalProperties: false
    },
    run: async (args) => JSON.stringify(calculate(args))
  }
]

const BY_ID = new Map(BUILTIN_TOOLS.map((t) => [t.id, t]))

export function builtinTool(id: string) {
  return BY_ID.get(id)
}

export function isBuiltinName(name: string): boolean {
  return BY_ID.has(name)
}

export function builtinRunnable(id: string): RunnableTool | undefined {
  const t = BY_ID.get(id)
  if (!t) return undefined
  return { id: t.id, spec: { name: t.name, description: t.description, parameters: t.parameters }, run: t.run }
}
