import { Type } from '@sinclair/typebox'

/**
 * Messages of the `/dispatch` Socket.IO namespace. The server emits `workspace.updated` (a
 * workspace with its session counts), `session.created`, `session.updated`, `session.ended` (a
 * session) and `session.output`; clients emit the ones below. Every client message may take an
 * acknowledgement callback, answered `{ ok: true }` or `{ ok: false, message }`.
 */
const SessionId = Type.String({ minLength: 1, maxLength: 100 })

export const SessionAttach = Type.Object({ sessionId: SessionId }, { $id: 'SessionAttach', additionalProperties: false })
export const SessionDetach = Type.Object({ sessionId: SessionId }, { $id: 'SessionDetach', additionalProperties: false })
export const SessionInput = Type.Object(
  { sessionId: SessionId, data: Type.String({ maxLength: 64 * 1024, description: 'Keystrokes, as a terminal sends them.' }) },
  { $id: 'SessionInput', additionalProperties: false }
)
export const SessionResize = Type.Object(
  { sessionId: SessionId, cols: Type.Integer({ minimum: 1, maximum: 1000 }), rows: Type.Integer({ minimum: 1, maximum: 1000 }) },
  { $id: 'SessionResize', additionalProperties: false }
)
export const SessionOutput = Type.Object({ sessionId: SessionId, data: Type.String() }, { $id: 'SessionOutput', additionalProperties: false })
