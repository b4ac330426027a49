import type { ChatMessage } from './types.js'

/**
 * Prompt compilation (`/api/v1/prompt_compiler/*`): turn a rough request into a clear
 * prompt, find its parameters and make a form of them, and read parameter values out of text.
 * With a real model the work is asked of the model; with `offline` the deterministic functions
 * here do it, with answers of the same shape.
 */

export type ParameterType = 'string' | 'number' | 'boolean' | 'enum'
export type ParameterValue = string | number | boolean | null

export interface PromptParameter {
  name: string
  label: string
  type: ParameterType
  description: string
  required: boolean
  default?: ParameterValue
  options?: string[]
}

export interface CompiledForm {
  compiled_prompt: string
  parameters: PromptParameter[]
}

/** Text in, text out: one model call. */
export type Complete = (messages: ChatMessage[]) => Promise<string>

export class PromptCompilerError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PromptCompilerError'
  }
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/

function labelOf(name: string): string {
  const words = name.replace(/_/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

function typeOf(name: string): ParameterType {
  if (/(^|_)(count|number|num|age|amount|budget|price|limit|max|min|size|year|days|hours|minutes|quantity|n)($|_)/.test(name)) return 'number'
  if (/^(is|has|include|use|allow|enable)_/.test(name)) return 'boolean'
  return 'string'
}

function normalizeName(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^(\d)/, 'p_$1')
    .slice(0, 64)
}

// ---------------------------------------------------------------- deterministic (offline)

export function compileOffline(prompt: string): string {
  const task = prompt.trim().replace(/\s+/g, ' ')
  return [
    'You are a careful, knowledgeable assistant.',
    '',
    `Task: ${task}`,
    '',
    'Instructions:',
    '1. Restate the goal in one sentence.',
    '2. If a detail you need is missing, say which assumption you make.',
    '3. Answer step by step: specific, accurate and concise.',
    '',
    'Output: a clear answer in Markdown, ending with a one-line summary.'
  ].join('\n')
}

/** Placeholders already in a prompt: `{{name}}`, `{name}`, `[name]`, `<name>`. */
export function placeholdersIn(prompt: string): string[] {
  const found: string[] = []
  const re = /\{\{\s*([A-Za-z][\w ]{0,63}?)\s*\}\}|\{([A-Za-z][\w]{0,63})\}|\[([A-Za-z][\w ]{0,63}?)\]|<([A-Za-z][\w]{0,63})>/g
  for (const m of prompt.matchAll(re)) {
    const name = normalizeName(m[1] ?? m[2] ?? m[3] ?? m[4] ?? '')
    if (name && NAME.test(name) && !found.includes(name)) found.push(name)
  }
  return found
}

const GENERIC_PARAMETERS: PromptParameter[] = [
  {
    name: 'context',
    label: 'Context',
    type: 'string',
    description: 'Anything the assistant should know: who you are, where, constraints.',
    required: false,
    default: ''
  },
  {
    name: 'tone',
    label: 'Tone',
    type: 'enum',
    description: 'How the answer should sound.',
    required: false,
    default: 'neutral',
    options: ['neutral', 'friendly', 'formal', 'concise']
  },
  {
    name: 'length',
    label: 'Length',
    type: 'enum',
    description: 'How long the answer should be.',
    required: false,
    default: 'medium',
    options: ['short', 'medium', 'long']
  }
]

export function compileFormOffline(prompt: string): CompiledForm {
  const names = placeholdersIn(prompt)
  if (names.length > 0) {
    let template = prompt.trim()
    for (const name of names) {
      const pattern = new RegExp(`\\{\\{\\s*${name.replace(/_/g, '[_ ]')}\\s*\\}\\}|\\{${name}\\}|\\[${name.replace(/_/g, '[_ ]')}\\]|<${name}>`, 'gi')
      template = template.replace(pattern, `{{${name}}}`)
    }
    return {
      compiled_prompt: compileOffline(template),
      parameters: names.map((name) => ({ name, label: labelOf(name), type: typeOf(name), description: `The ${labelOf(name).toLowerCase()}.`, required: true }))
    }
  }
  return {
    compiled_prompt: `${compileOffline(prompt)}\n\nContext: {{context}}\nTone: {{tone}}. Length: {{length}}.`,
    parameters: GENERIC_PARAMETERS.map((p) => ({ ...p, options: p.options ? [...p.options] : undefined }))
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Reads one parameter's value from text: `name: value`, `name = value`, `name is value`, an enum option named, ... */
function extractValue(text: string, p: PromptParameter): ParameterValue {
  const keys = [...new Set([p.name, p.name.replace(/_/g, ' '), p.label])].map(escapeRe).join('|')
  const m = new RegExp(`(?:^|[^\\w])(?:${keys})\\s*(?::|=|\\bis\\b|\\bof\\b)\\s*["']?([^\\n,;"']+)`, 'i').exec(text)
  const raw = m?.[1]?.trim().replace(/[.!?]+$/, '')
  switch (p.type) {
    case 'number': {
      // "people: 4", else "4 people" (a number before the name or one of its words).
      const words = p.name.split('_').filter((w) => w.length > 2 && !['count', 'number', 'num', 'amount'].includes(w))
      const before = [keys, ...words.map(escapeRe)].join('|')
      const n = raw ? /-?\d+(?:\.\d+)?/.exec(raw) : new RegExp(`(-?\\d+(?:\\.\\d+)?)\\s*(?:${before})\\b`, 'i').exec(text)
      const v = n ? Number(n[1] ?? n[0]) : NaN
      return Number.isFinite(v) ? v : (p.default ?? null)
    }
    case 'boolean': {
      if (raw && /^(yes|true|on|1|y)\b/i.test(raw)) return true
      if (raw && /^(no|false|off|0|n)\b/i.test(raw)) return false
      return p.default ?? null
    }
    case 'enum': {
      const options = p.options ?? []
      const inRaw = raw ? options.find((o) => new RegExp(`\\b${escapeRe(o)}\\b`, 'i').test(raw)) : undefined
      const anywhere = options.find((o) => new RegExp(`\\b${escapeRe(o)}\\b`, 'i').test(text))
      return inRaw ?? anywhere ?? p.default ?? null
    }
    default:
      return raw || (p.default ?? null)
  }
}

export function extractParametersOffline(text: string, parameters: PromptParameter[]): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {}
  for (const p of parameters) out[p.name] = extractValue(text, p)
  return out
}

/** A template with `{{name}}` placeholders filled from values; unknown or null values stay as they are. */
export function fillTemplate(template: string, values: Record<string, ParameterValue>): string {
  return template.replace(/\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g, (whole, name: string) => {
    const v = values[name]
    return v === undefined || v === null ? whole : String(v)
  })
}

// ---------------------------------------------------------------- with a model

/** The first JSON object in a model's answer, code fences and chatter around it ignored. */
export function parseJsonObject(text: string): Record<string, unknown> {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)
  const body = fenced ? fenced[1]! : text
  const start = body.indexOf('{')
  const end = body.lastIndexOf('}')
  if (start < 0 || end <= start) throw new PromptCompilerError('The model did not answer with a JSON object')
  try {
    const v = JSON.parse(body.slice(start, end + 1)) as unknown
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object')
    return v as Record<string, unknown>
  } catch {
    throw new PromptCompilerError('The model answered with JSON that does not parse')
  }
}

function asParameter(raw: unknown): PromptParameter | undefined {
  if (!raw || typeof raw !== 'object') return undefined
  const r = raw as Record<string, unknown>
  const name = typeof r.name === 'string' ? normalizeName(r.name) : ''
  if (!NAME.test(name)) return undefined
  const type: ParameterType = ['string', 'number', 'boolean', 'enum'].includes(r.type as string) ? (r.type as ParameterType) : 'string'
  const options = Array.isArray(r.options) ? r.options.filter((o): o is string => typeof o === 'string').slice(0, 50) : undefined
  const d = r.default
  const def = typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean' || d === null ? d : undefined
  return {
    name,
    label: typeof r.label === 'string' && r.label.trim() ? r.label.trim().slice(0, 200) : labelOf(name),
    type: type === 'enum' && !options?.length ? 'string' : type,
    description: typeof r.description === 'string' ? r.description.slice(0, 1000) : '',
    required: r.required === true,
    ...(def !== undefined ? { default: def } : {}),
    ...(type === 'enum' && options?.length ? { options } : {})
  }
}

export async function compileWithModel(complete: Complete, prompt: string): Promise<string> {
  const text = await complete([
    {
      role: 'system',
      content:
        "You are a prompt engineer. Rewrite the user's request as a clear, complete prompt for an AI assistant: state the role, the task, the steps and the output format. Answer with the prompt only, no preamble."
    },
    { role: 'user', content: prompt }
  ])
  const out = text.trim()
  if (!out) throw new PromptCompilerError('The model returned an empty prompt')
  return out
}

export async function compileFormWithModel(complete: Complete, prompt: string): Promise<CompiledForm> {
  const text = await complete([
    {
      role: 'system',
      content:
        "You are a prompt engineer. Rewrite the user's request as a clear prompt template for an AI assistant, with {{name}} placeholders for the details a person should fill in. " +
        'Answer with one JSON object only: {"compiled_prompt": string, "parameters": [{"name": snake_case string, "label": string, "type": "string"|"number"|"boolean"|"enum", "description": string, "required": boolean, "default"?: value, "options"?: string[] (for enum)}]}.'
    },
    { role: 'user', content: prompt }
  ])
  const obj = parseJsonObject(text)
  if (typeof obj.compiled_prompt !== 'string' || !obj.compiled_prompt.trim()) throw new PromptCompilerError("The model's answer has no compiled_prompt")
  const parameters = (Array.isArray(obj.parameters) ? obj.parameters : []).map(asParameter).filter((p): p is PromptParameter => !!p)
  const unique = parameters.filter((p, i) => parameters.findIndex((q) => q.name === p.name) === i)
  return { compiled_prompt: obj.compiled_prompt.trim(), parameters: unique }
}

export async function extractParametersWithModel(complete: Complete, text: string, parameters: PromptParameter[]): Promise<Record<string, ParameterValue>> {
  const answer = await complete([
    {
      role: 'system',
      content:
        "Extract parameter values from the user's text. The parameters, as JSON: " +
        JSON.stringify(parameters.map((p) => ({ name: p.name, type: p.type, description: p.description, options: p.options }))) +
        '. Answer with one JSON object only, mapping each parameter name to its value (string, number or boolean as its type says) or null when the text does not give it.'
    },
    { role: 'user', content: text }
  ])
  const obj = parseJsonObject(answer)
  const out: Record<string, ParameterValue> = {}
  for (const p of parameters) {
    const v = obj[p.name]
    let value: ParameterValue = null
    if (p.type === 'number') value = typeof v === 'number' ? v : typeof v === 'string' && Number.isFinite(Number(v)) && v.trim() ? Number(v) : null
    else if (p.type === 'boolean') value = typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null
    else if (p.type === 'enum') value = typeof v === 'string' && (p.options ?? []).includes(v) ? v : null
    else value = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null
    out[p.name] = value ?? p.default ?? null
  }
  return out
}
