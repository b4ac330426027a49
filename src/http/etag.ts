import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fresh from 'fresh'

/** The request headers of a route that answers `If-None-Match`. */
export const ConditionalHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ description: 'The `ETag` of the copy the client holds (or several, comma-separated): a `304` answers while it is current.' })
  )
})

/** The `ETag` response header, as route schemas document it. */
export const ETagHeader = {
  type: 'string',
  description: 'A strong validator of the content: send it back in `If-None-Match` to get a `304` while the content is unchanged.',
  examples: ['"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"']
} as const

/** The `304` response of a route that answers `If-None-Match`, as route schemas document it. */
export const NotModifiedResponse = {
  description: 'Not modified: the content is what the `ETag` sent in `If-None-Match` names. No body.',
  type: 'null',
  headers: { ETag: ETagHeader }
} as const

/**
 * Sets a response's strong `ETag` (the given opaque tag, quoted) and tells whether the request's
 * `If-None-Match` already names it, so that the caller answers `304` with no body. The comparison
 * is the weak one RFC 9110 asks for `If-None-Match` (a `W/` tag matches too), lists and `*` included.
 */
export function answeredNotModified(request: FastifyRequest, reply: FastifyReply, tag: string): boolean {
  const etag = `"${tag}"`
  reply.header('etag', etag)
  if (!fresh(request.headers, { etag })) return false
  reply.code(304)
  return true
}
