import { sql } from 'drizzle-orm'
import type { Db } from '../db/index.js'

export interface DatabaseHealth {
  status: 'ok' | 'error'
  latency_ms: number
  detail?: string
}

/** The state of the service: healthy only when every component is. */
export interface HealthReport {
  healthy: boolean
  version: string
  uptime_seconds: number
  components: { database: DatabaseHealth }
}

export class HealthService {
  private readonly startedAt = Date.now()

  constructor(
    private readonly db: Db,
    readonly version: string
  ) {}

  uptimeSeconds(): number {
    return Math.round((Date.now() - this.startedAt) / 100) / 10
  }

  report(): HealthReport {
    const database = this.database()
    return { healthy: database.status === 'ok', version: this.version, uptime_seconds: this.uptimeSeconds(), components: { database } }
  }

  database(): DatabaseHealth {
    const t0 = performance.now()
    try {
      this.db.get(sql`select 1`)
      return { status: 'ok', latency_ms: Math.round((performance.now() - t0) * 1000) / 1000 }
    } catch (err) {
      return {
        status: 'error',
        latency_ms: Math.round((performance.now() - t0) * 1000) / 1000,
        detail: err instanceof Error ? err.message : 'unknown error'
      }
    }
  }
}
