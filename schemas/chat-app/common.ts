import { Type } from '@sinclair/typebox'

/** The chat-app error body, on every failure under its paths (WebSocket error frames included). */
export const ChatAppError = Type.Object(
  {
    error: Type.Object(
      {
        message: Type.String({ description: 'What went wrong, for people.' }),
        status: Type.Integer({ description: 'The HTTP status, repeated (on a WebSocket: the status the same failure has over HTTP).' })
      },
      { additionalProperties: false }
    )
  },
  { $id: 'ChatAppError', title: 'Error', additionalProperties: false }
)

/** An id in a path or body: any unknown id, well-formed or not, is a 404. */
export const Id = Type.String({ minLength: 1, maxLength: 100, description: 'A UUID.', examples: ['01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'] })

export const Uuid = Type.String({ format: 'uuid', examples: ['01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'] })

export const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601 UTC with milliseconds.', examples: ['2025-02-22T12:01:00.000Z'] })
