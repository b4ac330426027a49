import { type Static, type TSchema, Type } from '@sinclair/typebox'

/**
 * A reference to a schema that has an `$id`. Fastify resolves it against the schemas added with
 * `addSchema`; @fastify/swagger turns it into `#/components/schemas/<$id>`.
 */
export function ref<T extends TSchema>(schema: T, description?: string) {
  if (!schema.$id) throw new Error('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id, description ? { description } : {}))
}

/**
 * Gives a schema the example its documentation shows. A request body's example is what "Try it
 * out" sends: one the service accepts as it is on a fresh server once its caller has signed up,
 * but for the ids of other things it names (`test/examples.test.ts` sends each one). A response
 * schema's example is what such a call answers. The type checks its shape; every example of the
 * committed documents is validated against its schema by `test/openapi-examples.test.ts`.
 */
export function example<T extends TSchema>(schema: T, value: Static<T>): T {
  return Object.assign(schema, { examples: [value] })
}

/** A string enum, rendered as `{ type: string, enum: [...] }` so SDK generators make real enums. */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number]; $id?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

export const Uuid = Type.String({ format: 'uuid', description: 'A UUIDv7.', examples: ['01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'] })
export const Timestamp = Type.String({
  format: 'date-time',
  description: 'ISO 8601 UTC with milliseconds.',
  examples: ['2024-01-15T10:30:00.000Z']
})

export const FieldError = Type.Object(
  {
    field: Type.String({ description: 'Where the failing value is, e.g. `body.email`.' }),
    message: Type.String()
  },
  { $id: 'FieldError', additionalProperties: false }
)

/** The v1 error body. */
export const ErrorResponse = example(
  Type.Object(
    {
      detail: Type.String({ description: 'What went wrong, for people.' }),
      status_code: Type.Integer({ description: 'The HTTP status, repeated.' }),
      error_code: Type.String({ description: 'A stable code for programs, e.g. `VALIDATION_ERROR`, `USER_NOT_FOUND`.' }),
      errors: Type.Optional(Type.Array(ref(FieldError), { description: 'The failing fields of a validation error.' }))
    },
    { $id: 'ErrorResponse', title: 'Error', additionalProperties: false }
  ),
  {
    detail: 'Validation failed: body.email must match format "email"',
    status_code: 422,
    error_code: 'VALIDATION_ERROR',
    errors: [{ field: 'body.email', message: 'must match format "email"' }]
  }
)

export const PageQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'Page number, from 1.' })),
  size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page.' })),
  sort: Type.Optional(Type.String({ pattern: '^[a-z_]+(:(asc|desc))?$', description: '`field:asc` or `field:desc`.' }))
})

/** v1's page envelope, named `<Item>Page` in OpenAPI; its example is a page of the item's example. */
export function PageOf<T extends TSchema>(item: T, id: string) {
  const page = Type.Object(
    {
      items: Type.Array(ref(item)),
      total: Type.Integer({ minimum: 0 }),
      page: Type.Integer({ minimum: 1 }),
      size: Type.Integer({ minimum: 1 }),
      pages: Type.Integer({ minimum: 0 }),
      has_next: Type.Boolean(),
      has_prev: Type.Boolean()
    },
    { $id: id, additionalProperties: false }
  )
  const [first] = (item.examples ?? []) as Static<T>[]
  return first === undefined ? page : example(page, { items: [first], total: 1, page: 1, size: 20, pages: 1, has_next: false, has_prev: false })
}

/** Error responses by status, for a route's `response` map. */
export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: malformed JSON or an unusable value',
  401: 'Not authenticated: missing, invalid or expired credentials',
  403: 'Forbidden: authenticated, but not allowed',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Validation error: the failing fields are listed in `errors`',
  429: 'Too many requests: retry after `Retry-After` seconds',
  502: 'The model provider failed or refused the request',
  503: 'Not available on this server: the message says what to configure',
  504: 'The model provider did not answer in time'
}

/** The `errors(...statuses)` helper of a surface: its error schema under each status, with its descriptions. */
export function errorsOf<T extends TSchema>(schema: T, descriptions: Record<number, string>) {
  return (...statuses: number[]) => {
    const out: Record<number, ReturnType<typeof ref<T>>> = {}
    for (const s of statuses) out[s] = ref(schema, descriptions[s] ?? 'Error')
    return out
  }
}

export const errors = errorsOf(ErrorResponse, ERROR_DESCRIPTIONS)

export const NoContent = Type.Null({ description: 'No content.' })
