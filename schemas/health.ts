import { Type } from '@sinclair/typebox'
import { ref, StringEnum, Timestamp } from './common.js'

export const Health = Type.Object({ status: Type.Literal('ok'), timestamp: Timestamp }, { $id: 'Health', additionalProperties: false })

export const ComponentHealth = Type.Object(
  {
    status: StringEnum(['ok', 'error']),
    latency_ms: Type.Number(),
    detail: Type.Optional(Type.String())
  },
  { $id: 'ComponentHealth', additionalProperties: false }
)

export const DetailedHealth = Type.Object(
  {
    status: StringEnum(['ok', 'degraded']),
    version: Type.String(),
    uptime_seconds: Type.Number(),
    timestamp: Timestamp,
    components: Type.Object({ database: ref(ComponentHealth) }, { additionalProperties: false })
  },
  { $id: 'DetailedHealth', additionalProperties: false }
)

/** `/internal/health`: for monitors and orchestrators. */
export const InternalHealth = Type.Object(
  {
    status: StringEnum(['healthy', 'unhealthy']),
    database: StringEnum(['ok', 'error']),
    version: Type.String(),
    uptime_seconds: Type.Number()
  },
  { $id: 'InternalHealth', additionalProperties: false }
)
