import { asc, eq } from 'drizzle-orm'
import { BUILTIN_TOOLS, builtinRunnable, builtinTool, isBuiltinName } from '../ai/tools/builtin.js'
import { httpRunnable } from '../ai/tools/http.js'
import type { RunnableTool, ToolDefinition } from '../ai/tools/types.js'
import type { Db } from '../db/index.js'
import { tools } from '../db/schema.js'
import { AddressNotAllowedError, assertPublicUrlSyntax } from '../net/address-guard.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import { type Page, type PageQuery, pageWindow, parseSort, toPage } from './pagination.js'
import { isAdmin, type Principal, requireAdmin } from './principal.js'

type ToolRow = typeof tools.$inferSelect
type HttpMethod = ToolRow['method']

export interface ToolRecord extends ToolDefinition {
  url?: string
  method?: HttpMethod
  created_at: string | null
  updated_at: string | null
}

export interface CreateToolInput {
  name: string
  description: string
  category?: string
  parameters: Record<string, unknown>
  url: string
  method?: HttpMethod
}

export interface ListToolsQuery extends PageQuery {
  category?: string
  kind?: 'builtin' | 'http'
}

export interface ToolServiceOptions {
  /** Let HTTP tools reach private and loopback addresses (`WEBHOOK_ALLOW_PRIVATE`). */
  allowPrivate: boolean
  /** One HTTP tool call's time bound. */
  httpTimeoutMs?: number
}

const SORTABLE = ['name', 'category', 'created_at'] as const
const MAX_SCHEMA_BYTES = 16 * 1024
/** How deep a tool's `parameters` may nest (objects and arrays); real tool schemas stay far below. */
export const MAX_SCHEMA_DEPTH = 32

/** True when a JSON value nests deeper than `limit` (walked without recursion, so any depth is safe). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }]
  while (stack.length > 0) {
    const top = stack.pop()!
    if (top.value === null || typeof top.value !== 'object') continue
    const depth = top.depth + 1
    if (depth > limit) return true
    for (const child of Object.values(top.value)) stack.push({ value: child, depth })
  }
  return false
}

/**
 * Turns a tool's `parameters` into a JSON Schema of an object. Accepts one already, or document
 * the short form (`{"query": {"type": "string", "required": true}}`).
 */
export function normalizeParameters(raw: Record<string, unknown>): Record<string, unknown> {
  if (nestsDeeperThan(raw, MAX_SCHEMA_DEPTH)) {
    throw new DomainError('VALIDATION_ERROR', 'parameters is nested too deeply', [
      { field: 'body.parameters', message: `must nest at most ${MAX_SCHEMA_DEPTH} levels deep` }
    ])
  }
  if (JSON.stringify(raw).length > MAX_SCHEMA_BYTES) {
    throw new DomainError('VALIDATION_ERROR', 'parameters is too large', [
      { field: 'body.parameters', message: `must be at most ${MAX_SCHEMA_BYTES} bytes of JSON` }
    ])
  }
  const bad = (message: string) => new DomainError('VALIDATION_ERROR', `parameters: ${message}`, [{ field: 'body.parameters', message }])
  if (raw.type === 'object') {
    if (raw.properties !== undefined && (typeof raw.properties !== 'object' || raw.properties === null || Array.isArray(raw.properties))) {
      throw bad('properties must be an object')
    }
    if (raw.required !== undefined && (!Array.isArray(raw.required) || !raw.required.every((r) => typeof r === 'string'))) {
      throw bad('required must be an array of property names')
    }
    return raw
  }
  if (raw.type !== undefined) throw bad('must be a JSON Schema with "type": "object"')
  const properties: Record<string, unknown> = {}
  const required: string[] = []
  for (const [name, spec] of Object.entries(raw)) {
    if (!spec || typeof spec !== 'object' || Array.isArray(spec) || typeof (spec as { type?: unknown }).type !== 'string') {
      throw bad(`"${name}" must be an object with a "type", or send a JSON Schema with "type": "object"`)
    }
    const { required: isRequired, ...rest } = spec as Record<string, unknown>
    properties[name] = rest
    if (isRequired === true) required.push(name)
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) }
}

/** Built-in tools (in code) and custom HTTP tools (admin-made, in the `tools` table). */
export class ToolService {
  constructor(
    private readonly db: Db,
    private readonly options: ToolServiceOptions
  ) {}

  private rows(): ToolRow[] {
    return this.db.select().from(tools).orderBy(asc(tools.createdAt), asc(tools.id)).all()
  }

  private view(r: ToolRow, p: Principal): ToolRecord {
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      category: r.category,
      parameters: r.parameters,
      kind: 'http',
      ...(isAdmin(p) ? { url: r.url, method: r.method } : {}),
      created_at: r.createdAt,
      updated_at: r.updatedAt
    }
  }

  private all(p: Principal): ToolRecord[] {
    const builtins: ToolRecord[] = BUILTIN_TOOLS.map((t) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      category: t.category,
      parameters: t.parameters,
      kind: 'builtin',
      created_at: null,
      updated_at: null
    }))
    return [...builtins, ...this.rows().map((r) => this.view(r, p))]
  }

  list(p: Principal, q: ListToolsQuery): Page<ToolRecord> {
    const w = pageWindow(q)
    let items = this.all(p)
    if (q.category) items = items.filter((t) => t.category === q.category)
    if (q.kind) items = items.filter((t) => t.kind === q.kind)
    if (q.sort) {
      const sort = parseSort(q.sort, SORTABLE, { field: 'name', direction: 'asc' })
      const key = (t: ToolRecord) => (sort.field === 'created_at' ? (t.created_at ?? '') : t[sort.field].toLowerCase())
      items = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (sort.direction === 'asc' ? 1 : -1))
    }
    return toPage(items.slice(w.offset, w.offset + w.size), items.length, w)
  }

  get(p: Principal, id: string): ToolRecord {
    const found = this.all(p).find((t) => t.id === id)
    if (!found) throw new DomainError('TOOL_NOT_FOUND', 'Tool not found')
    return found
  }

  create(p: Principal, input: CreateToolInput): ToolRecord {
    requireAdmin(p)
    const parameters = normalizeParameters(input.parameters)
    try {
      assertPublicUrlSyntax(input.url, this.options.allowPrivate)
    } catch (err) {
      if (err instanceof AddressNotAllowedError) {
        throw new DomainError('ADDRESS_NOT_ALLOWED', `url: ${err.message}`, [{ field: 'body.url', message: err.message }])
      }
      throw err
    }
    const name = input.name.trim()
    const lower = name.toLowerCase()
    if (isBuiltinName(lower) || this.rows().some((r) => r.name.toLowerCase() === lower)) {
      throw new DomainError('TOOL_NAME_TAKEN', `A tool named ${name} already exists`)
    }
    const now = nowIso()
    const row = this.db
      .insert(tools)
      .values({
        id: newId(),
        name,
        description: input.description,
        category: input.category ?? 'custom',
        parameters,
        kind: 'http',
        url: input.url,
        method: input.method ?? 'POST',
        createdBy: p.userId,
        createdAt: now,
        updatedAt: now
      })
      .returning()
      .get()
    return this.view(row, p)
  }

  delete(p: Principal, id: string): void {
    requireAdmin(p)
    if (builtinTool(id)) throw new DomainError('FORBIDDEN', 'Built-in tools cannot be deleted')
    const res = this.db.delete(tools).where(eq(tools.id, id)).run()
    if (res.changes === 0) throw new DomainError('TOOL_NOT_FOUND', 'Tool not found')
  }

  /** Throws UNKNOWN_TOOL naming the ids that are neither built-in nor custom tools. */
  assertExist(ids: string[]): void {
    const custom = new Set(this.rows().map((r) => r.id))
    const unknown = ids.filter((id) => !builtinTool(id) && !custom.has(id))
    if (unknown.length) {
      throw new DomainError(
        'UNKNOWN_TOOL',
        `Unknown tool${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. See GET /api/v1/tools for the tools there are.`,
        unknown.map((id) => ({ field: 'body.tools', message: `${id} is not a tool` }))
      )
    }
  }

  /** The tools of these ids, ready for the tool loop. Ids of tools deleted since are skipped. */
  runnables(ids: string[]): RunnableTool[] {
    const custom = new Map(this.rows().map((r) => [r.id, r]))
    const out: RunnableTool[] = []
    for (const id of ids) {
      const builtin = builtinRunnable(id)
      if (builtin) out.push(builtin)
      const row = custom.get(id)
      if (row) out.push(httpRunnable(row, { allowPrivate: this.options.allowPrivate, timeoutMs: this.options.httpTimeoutMs }))
    }
    return out
  }
}
