import { errorsOf } from '../../../schemas/common.js'
import { ChatAppError } from '../../../schemas/chat-app/common.js'
import { type DomainError, ERROR_KINDS, type ErrorCode } from '../../domain/errors.js'
import { type Failure, STATUS_BY_KIND } from '../errors.js'

export const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: a missing or unusable field, or malformed JSON',
  401: 'Not authenticated: no token, or a token that is invalid or expired',
  403: 'Forbidden: signed in, but not allowed (acting as someone else)',
  404: 'Not found: an unknown id, or a conversation the caller is not in',
  409: 'Conflict: the email is already registered',
  426: 'The connect path upgrades to a WebSocket',
  429: 'Too many requests: retry after `Retry-After` seconds'
}

/** Error responses by status, in the chat-app body, for a route's `response` map. */
export const errors = errorsOf(ChatAppError, ERROR_DESCRIPTIONS)

/** Bad input is a 400 here, whether the schema or a service found it. */
export function statusOf(error: Pick<DomainError, 'kind'>): number | undefined {
  return error.kind === 'invalid' ? 400 : undefined
}

function fieldName(field: string): string {
  return field.replace(/^(body|params|querystring)\./, '')
}

/** The words of a failure: the failing fields by name, for people (`Missing required field: email`). */
export function messageOf(f: Pick<Failure, 'message' | 'fields'>): string {
  if (!f.fields?.length) return f.message
  const missing = f.fields.filter((x) => x.message.startsWith('must have required property')).map((x) => fieldName(x.field))
  const invalid = f.fields.filter((x) => !x.message.startsWith('must have required property')).map((x) => `${fieldName(x.field)} ${x.message}`)
  const parts: string[] = []
  if (missing.length) parts.push(`Missing required field${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`)
  if (invalid.length) parts.push(`Invalid field${invalid.length > 1 ? 's' : ''}: ${invalid.join('; ')}`)
  return parts.join('. ')
}

/** The chat-app error body: `{ "error": { "message", "status" } }`. */
export function chatAppErrorBody(f: Failure) {
  return { error: { message: messageOf(f), status: f.status } }
}

/** Codes the WebSocket hub uses for frames it refuses, with their HTTP status. */
const SOCKET_STATUS: Record<string, number> = { INVALID_FRAME: 400, UNKNOWN_FRAME_TYPE: 400, NOT_SUBSCRIBED: 400, UNAUTHORIZED: 401, INTERNAL_ERROR: 500 }

/** The status of an error code on the WebSocket: what the same failure has over HTTP. */
export function statusOfCode(code: string): number {
  if (code in ERROR_KINDS) {
    const kind = ERROR_KINDS[code as ErrorCode]
    return statusOf({ kind }) ?? STATUS_BY_KIND[kind]
  }
  return SOCKET_STATUS[code] ?? 400
}
