import { Type } from '@sinclair/typebox'

/** The dispatch surface's error body. */
export const DispatchError = Type.Object(
  { message: Type.String({ description: 'What went wrong, e.g. `Workspace not found: /workspace/missing`.' }) },
  { $id: 'DispatchError', title: 'Dispatch error' }
)

export const DISPATCH_ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: an invalid workspace path, a missing or invalid field, or malformed JSON',
  401: 'Authentication required: no valid `authKey`',
  404: 'Not found: no such workspace or session',
  409: 'Conflict: the workspace already exists, the session is not running, or too many sessions are active',
  422: 'Unprocessable: the workspace still has active sessions',
  429: 'Too many requests: retry after `Retry-After` seconds',
  502: 'The session could not be started'
}

/** The terminal key, as a query parameter or a body field (or `Authorization: Bearer`). */
export const AuthKey = Type.String({ description: "The server's `TERMINAL_KEY` (or send `Authorization: Bearer <key>`)." })

/** A querystring that carries only the key. */
export const AuthKeyQuery = Type.Object({ authKey: Type.Optional(AuthKey) }, { additionalProperties: false })

export const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'How many per page (default 50).' })
export const Offset = Type.Integer({ minimum: 0, default: 0, description: 'How many to skip (default 0).' })

export const Pagination = Type.Object(
  {
    total: Type.Integer({ minimum: 0 }),
    limit: Type.Integer({ minimum: 1 }),
    offset: Type.Integer({ minimum: 0 }),
    hasMore: Type.Boolean({ description: 'Whether more follow this page.' })
  },
  { $id: 'DispatchPagination', additionalProperties: false }
)

export const NullableTimestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
export const Timestamp = Type.String({ format: 'date-time', examples: ['2024-01-15T10:30:00.000Z'] })
