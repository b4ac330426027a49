import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { and, eq } from 'drizzle-orm'
import semver from 'semver'
import type { Db } from '../db/index.js'
import { agentPackages, assistants } from '../db/schema.js'
import { assistantRecord, type AssistantService, type AssistantRecord } from './assistants.js'
import { nowIso } from './clock.js'
import { DomainError, isDomainError } from './errors.js'

/** A package's manifest, `<registry>/<name>/<version>/agent.json`. */
export const AgentManifest = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  version: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  system_prompt: Type.String({ maxLength: 100_000 }),
  model: Type.Optional(Type.String({ minLength: 1 })),
  tools: Type.Optional(Type.Array(Type.String({ minLength: 1 })))
})
export type AgentManifest = Static<typeof AgentManifest>

/** What an install did: the package's name and version, and its assistant. */
export interface InstalledAgent {
  name: string
  version: string
  assistant: AssistantRecord
  /** false when that name and version was installed before. */
  created: boolean
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/**
 * Agent packages: folders `<name>/<version>/agent.json` under a registry directory. Installing one
 * makes it an assistant that every user sees (it has no owner), once per name and version.
 */
export class AgentPackageService {
  constructor(
    private readonly db: Db,
    private readonly registryDir: string,
    private readonly assistants: Pick<AssistantService, 'createShared'>
  ) {}

  /** The versions of a package in the registry, highest first (none when there is no such package). */
  async versions(name: string): Promise<string[]> {
    if (!NAME.test(name)) return []
    let entries: string[]
    try {
      entries = await readdir(join(this.registryDir, name))
    } catch {
      return []
    }
    return semver.rsort(entries.filter((v) => semver.valid(v) === v))
  }

  /**
   * Installs a package (when no version is named, its highest release; a prerelease only when it
   * has nothing else): AGENT_PACKAGE_NOT_FOUND when the
   * registry has no such name and version, AGENT_PACKAGE_INVALID when its manifest cannot be read,
   * is not valid, or names a model or tool this server does not have.
   */
  async install(name: string, version?: string): Promise<InstalledAgent> {
    const versions = await this.versions(name)
    const chosen = version === undefined ? (versions.find((v) => !semver.prerelease(v)) ?? versions[0]) : versions.find((v) => v === version)
    if (!chosen) throw new DomainError('AGENT_PACKAGE_NOT_FOUND', `No package ${name}:${version ?? 'latest'} in the registry`)
    const manifest = await this.manifest(name, chosen)
    const installed = this.installed(name, chosen)
    if (installed) return { name, version: chosen, assistant: installed, created: false }
    let assistant: AssistantRecord
    try {
      assistant = this.assistants.createShared({
        name: manifest.name,
        description: manifest.description ?? null,
        system_prompt: manifest.system_prompt,
        model: manifest.model,
        tools: manifest.tools ?? [],
        category: 'package'
      })
    } catch (e) {
      if (isDomainError(e)) throw new DomainError('AGENT_PACKAGE_INVALID', e.message)
      throw e
    }
    this.db.insert(agentPackages).values({ name, version: chosen, assistantId: assistant.id, installedAt: nowIso() }).run()
    return { name, version: chosen, assistant, created: true }
  }

  private installed(name: string, version: string): AssistantRecord | undefined {
    const row = this.db
      .select({ a: assistants })
      .from(agentPackages)
      .innerJoin(assistants, eq(assistants.id, agentPackages.assistantId))
      .where(and(eq(agentPackages.name, name), eq(agentPackages.version, version)))
      .get()
    return row && assistantRecord(row.a, null)
  }

  private async manifest(name: string, version: string): Promise<AgentManifest> {
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(join(this.registryDir, name, version, 'agent.json'), 'utf8'))
    } catch (e) {
      throw new DomainError('AGENT_PACKAGE_INVALID', `agent.json cannot be read: ${(e as Error).message}`)
    }
    if (!Value.Check(AgentManifest, parsed)) {
      const first = Value.Errors(AgentManifest, parsed).First()
      throw new DomainError('AGENT_PACKAGE_INVALID', `agent.json is not valid: ${first?.path || '/'} ${first?.message ?? ''}`.trim())
    }
    if (parsed.name !== name || parsed.version !== version) {
      throw new DomainError('AGENT_PACKAGE_INVALID', `agent.json says ${parsed.name}:${parsed.version}, but it is in the folder of ${name}:${version}`)
    }
    return parsed
  }
}
