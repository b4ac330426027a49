import { and, asc, count, desc, eq, type SQL } from 'drizzle-orm'
import type { ModelRegistry } from '../ai/registry.js'
import type { Db, Tx } from '../db/index.js'
import { assistants } from '../db/schema.js'
import { newId, nowIso } from './clock.js'
import { DomainError } from './errors.js'
import { type Page, type PageQuery, pageWindow, parseSort, toPage } from './pagination.js'
import { assistantsVisibleTo, canSeeAssistant, ownsAssistant } from './access.js'
import type { Principal } from './principal.js'
import type { ToolService } from './tools.js'

export type AssistantRow = typeof assistants.$inferSelect
export type AssistantStatus = AssistantRow['status']
export type AssistantVisibility = AssistantRow['visibility']

/** An assistant as the caller may see it: its system prompt and tools only for its owner and admins. */
export interface AssistantRecord {
  id: string
  name: string
  description: string | null
  personality: string | null
  system_prompt?: string | null
  tools?: string[]
  model: string
  temperature: number
  status: AssistantStatus
  visibility: AssistantVisibility
  category: string | null
  owner_id: string | null
  created_at: string
  updated_at: string
}

/** An assistant as `viewer` may see it (nobody signed in: without its prompt and tools). */
export function assistantRecord(a: AssistantRow, viewer: Principal | null): AssistantRecord {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    personality: a.personality,
    ...(viewer && ownsAssistant(viewer, a) ? { system_prompt: a.systemPrompt, tools: a.tools } : {}),
    model: a.model,
    temperature: a.temperature,
    status: a.status,
    visibility: a.visibility,
    category: a.category,
    owner_id: a.ownerId,
    created_at: a.createdAt,
    updated_at: a.updatedAt
  }
}

export interface AssistantInput {
  name?: string
  description?: string | null
  personality?: string | null
  system_prompt?: string | null
  tools?: string[]
  model?: string
  temperature?: number
  status?: AssistantStatus
  visibility?: AssistantVisibility
  category?: string | null
}

export interface ListAssistantsQuery extends PageQuery {
  status?: AssistantStatus
  category?: string
  /** A user id, or `me`. */
  owner_id?: string
}

const SORTABLE = ['created_at', 'updated_at', 'name', 'status', 'category'] as const
const SORT_COLUMNS = {
  created_at: assistants.createdAt,
  updated_at: assistants.updatedAt,
  name: assistants.name,
  status: assistants.status,
  category: assistants.category
}

/**
 * Assistants. Private to their owner by default; `visibility` shares an active one with the
 * members of the workspaces it is attached to, or with everyone signed in (the rule is in
 * access.ts). Admins see all. Only the owner or an admin reads its system prompt and tools, and
 * may change or delete it: another user gets 403 when they can see it, 404 when they cannot.
 */
export class AssistantService {
  constructor(
    private readonly db: Db,
    private readonly tools: ToolService,
    private readonly models: ModelRegistry
  ) {}

  /** The assistant if the caller may see it, else ASSISTANT_NOT_FOUND. For runs and conversations. */
  requireVisible(p: Principal, id: string): AssistantRow {
    const a = this.db.select().from(assistants).where(eq(assistants.id, id)).get()
    if (!a || !canSeeAssistant(this.db, p, a)) throw new DomainError('ASSISTANT_NOT_FOUND', 'Assistant not found')
    return a
  }

  private requireOwned(p: Principal, id: string): AssistantRow {
    const a = this.requireVisible(p, id)
    if (!ownsAssistant(p, a)) throw new DomainError('NOT_ASSISTANT_OWNER', 'Only the owner of this assistant or an admin may change it')
    return a
  }

  private checkModel(model: string | undefined): void {
    if (model !== undefined && !this.models.isKnownName(model)) {
      throw new DomainError('UNKNOWN_MODEL', `Unknown model "${model}": name it provider:model, e.g. openai:gpt-4o-mini or offline`, [
        { field: 'body.model', message: 'must be provider:model with provider openai, anthropic, groq, bedrock or offline' }
      ])
    }
  }

  get(p: Principal, id: string): AssistantRecord {
    return assistantRecord(this.requireVisible(p, id), p)
  }

  list(p: Principal, q: ListAssistantsQuery): Page<AssistantRecord> {
    const w = pageWindow(q)
    const sort = parseSort(q.sort, SORTABLE, { field: 'created_at', direction: 'asc' })
    const filters: SQL[] = []
    const visible = assistantsVisibleTo(this.db, p)
    if (visible) filters.push(visible)
    if (q.status) filters.push(eq(assistants.status, q.status))
    if (q.category) filters.push(eq(assistants.category, q.category))
    if (q.owner_id) filters.push(eq(assistants.ownerId, q.owner_id === 'me' ? p.userId : q.owner_id))
    const where = filters.length ? and(...filters) : undefined
    const column = SORT_COLUMNS[sort.field]
    const rows = this.db
      .select()
      .from(assistants)
      .where(where)
      .orderBy(sort.direction === 'asc' ? asc(column) : desc(column), asc(assistants.id))
      .limit(w.size)
      .offset(w.offset)
      .all()
    const total = this.db.select({ n: count() }).from(assistants).where(where).get()!.n
    return toPage(
      rows.map((a) => assistantRecord(a, p)),
      total,
      w
    )
  }

  create(p: Principal, input: AssistantInput & { name: string }): AssistantRecord {
    return this.insert(p.userId, input, p)
  }

  /** An assistant nobody owns (installed from a package): active and public, so every user sees and attaches it. */
  createShared(input: AssistantInput & { name: string }): AssistantRecord {
    return this.insert(null, { ...input, status: 'active', visibility: 'public' }, null)
  }

  private insert(ownerId: string | null, input: AssistantInput & { name: string }, viewer: Principal | null): AssistantRecord {
    this.checkModel(input.model)
    if (input.tools) this.tools.assertExist(input.tools)
    const now = nowIso()
    const row = this.db
      .insert(assistants)
      .values({
        id: newId(),
        ownerId,
        name: input.name.trim(),
        description: input.description ?? null,
        personality: input.personality ?? null,
        systemPrompt: input.system_prompt ?? null,
        tools: input.tools ?? [],
        model: input.model?.trim() ?? this.models.defaultModel,
        temperature: input.temperature ?? 0.7,
        status: input.status ?? 'active',
        visibility: input.visibility ?? 'private',
        category: input.category ?? null,
        createdAt: now,
        updatedAt: now
      })
      .returning()
      .get()
    return assistantRecord(row, viewer)
  }

  update(p: Principal, id: string, input: AssistantInput): AssistantRecord {
    const a = this.requireOwned(p, id)
    this.checkModel(input.model)
    if (input.tools) this.tools.assertExist(input.tools)
    const patch: Partial<AssistantRow> = {}
    if (input.name !== undefined) patch.name = input.name.trim()
    if (input.description !== undefined) patch.description = input.description
    if (input.personality !== undefined) patch.personality = input.personality
    if (input.system_prompt !== undefined) patch.systemPrompt = input.system_prompt
    if (input.tools !== undefined) patch.tools = input.tools
    if (input.model !== undefined) patch.model = input.model.trim()
    if (input.temperature !== undefined) patch.temperature = input.temperature
    if (input.status !== undefined) patch.status = input.status
    if (input.visibility !== undefined) patch.visibility = input.visibility
    if (input.category !== undefined) patch.category = input.category
    if (Object.keys(patch).length === 0) return assistantRecord(a, p)
    const row = this.db
      .update(assistants)
      .set({ ...patch, updatedAt: nowIso() })
      .where(eq(assistants.id, a.id))
      .returning()
      .get()
    return assistantRecord(row, p)
  }

  /**
   * The default assistant: the one a conversation gets when it asks for an assistant without
   * naming one. Made in the caller's transaction on first need, without an owner (so only admins
   * change it), active and public (so everyone may talk to it), with the built-in tools and the model that
   * is the default when it is made.
   */
  defaultAssistant(tx: Tx = this.db): AssistantRow {
    const found = tx.select().from(assistants).where(eq(assistants.isDefault, true)).get()
    if (found) return found
    const now = nowIso()
    return tx
      .insert(assistants)
      .values({
        id: newId(),
        ownerId: null,
        name: 'Assistant',
        description: 'The default assistant, for conversations that ask for an assistant without naming one.',
        tools: ['current_time', 'calculator'],
        model: this.models.defaultModel,
        status: 'active',
        visibility: 'public',
        isDefault: true,
        createdAt: now,
        updatedAt: now
      })
      .returning()
      .get()
  }

  /** Deletes an assistant. Its conversations stay, without an assistant (`assistant_id` becomes null). */
  delete(p: Principal, id: string): void {
    const a = this.requireOwned(p, id)
    this.db.delete(assistants).where(eq(assistants.id, a.id)).run()
  }
}
