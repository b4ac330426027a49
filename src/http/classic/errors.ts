import { ClassicError } from '../../../schemas/classic/index.js'
import type { FastifyRequest } from 'fastify'
import type { DomainError } from '../../domain/errors.js'
import type { Failure } from '../errors.js'
import { errorResponses } from '../surface.js'

/** The classic status of a domain error, where it differs from the shared table. */
const STATUS: Partial<Record<string, number>> = {
  EMAIL_TAKEN: 400,
  CONVERSATION_ACCESS_DENIED: 401,
  NOT_CONVERSATION_OWNER: 401,
  WORKSPACE_CONTRIBUTOR_REQUIRED: 401
}

export function classicStatusOf(error: DomainError): number | undefined {
  return STATUS[error.code]
}

const NOT_CHAT_OWNER = 'User is not the owner of the chat'
const NOT_WORKSPACE_OWNER = 'User is not the owner of the workspace'

/** The classic words for each failure code. Codes not listed answer with the failure's own message. */
const WORDS: Partial<Record<string, string>> = {
  MALFORMED_JSON: 'Missing JSON in request',
  EMAIL_TAKEN: 'User already exists',
  USER_NOT_FOUND: 'User not found',
  INVALID_CREDENTIALS: 'Incorrect password.',
  CHAT_NOT_FOUND: 'Chat not found',
  CONVERSATION_NOT_FOUND: 'Chat not found',
  CONVERSATION_ACCESS_DENIED: NOT_CHAT_OWNER,
  NOT_CONVERSATION_OWNER: NOT_CHAT_OWNER,
  WORKSPACE_NOT_FOUND: 'Workspace not found',
  WORKSPACE_ACCESS_DENIED: 'User does not have access to the workspace',
  NOT_WORKSPACE_OWNER: NOT_WORKSPACE_OWNER,
  WORKSPACE_ADMIN_REQUIRED: NOT_WORKSPACE_OWNER,
  WORKSPACE_CONTRIBUTOR_REQUIRED: NOT_WORKSPACE_OWNER,
  ASSISTANT_NOT_FOUND: 'Agent not found',
  WORKSPACE_AGENT_NOT_FOUND: 'Agent not found in workspace'
}

/** The words for a missing (or empty, or not even the right type) field, by where it was expected. */
const MISSING: Record<string, string> = {
  body: 'Missing JSON in request',
  'body.email': 'Missing email/password parameter',
  'body.password': 'Missing email/password parameter',
  'body.agent_id': 'Missing agent_id parameter',
  'body.name': 'Missing name parameter',
  'querystring.workspace_id': 'Missing workspace id',
  'querystring.chat_id': 'Missing chat id',
  'params.workspace_id': 'Missing workspace id'
}

const MISSING_MESSAGE = /^(must have required property|must be (object|string|integer|number|boolean|array)$|must NOT have fewer than 1 characters)/

function validationWords(f: Failure): string {
  const first = f.fields?.[0]
  if (!first) return f.message
  const missing = f.fields!.some((x) => x.field === first.field && MISSING_MESSAGE.test(x.message))
  const words = MISSING[first.field]
  if (missing && words) return words
  const name = first.field.replace(/^(body|querystring|params)\.?/, '') || 'request'
  return `Invalid ${name} parameter: ${first.message}`
}

/** The classic error body: `{"msg": "..."}`, in the words its clients know. */
export function classicErrorBody(f: Failure): { msg: string } {
  if (f.code === 'VALIDATION_ERROR' && f.fields?.length) return { msg: validationWords(f) }
  return { msg: WORDS[f.code] ?? f.message }
}

export const CLASSIC_ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Missing JSON, a missing or invalid parameter, or a user that already exists',
  401: 'Not signed in, a wrong password, or not the owner of the chat (or of the workspace, when starting a chat)',
  403: 'No access to the workspace, or not its owner',
  404: 'No such user, chat, workspace, agent or route',
  429: 'Too many requests; retry after `Retry-After` seconds'
}

/** Error responses of a classic route, in its error body. */
export function errors(...statuses: number[]) {
  return errorResponses({ errorSchema: ClassicError, errorDescriptions: CLASSIC_ERROR_DESCRIPTIONS }, statuses)
}

/** For routes whose JSON body may be left out: an absent body is an empty object. */
export async function bodyIsOptional(request: FastifyRequest): Promise<void> {
  request.body ??= {}
}
