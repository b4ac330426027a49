import type { FastifyError } from 'fastify'
import { DomainError, type ErrorKind, type FieldError } from '../domain/errors.js'

/**
 * What every surface needs to know about a failure before putting it in its own words:
 * the status, a stable code, a message and (for validation) the failing fields.
 */
export interface Failure {
  status: number
  code: string
  message: string
  fields?: FieldError[]
  headers?: Record<string, string>
}

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 422,
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  upstream: 502,
  unavailable: 503,
  upstream_timeout: 504
}

export const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_ERROR',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE'
}

/** Fixed words for the framework's own errors, whose messages would echo the request back. */
const MESSAGE_BY_FRAMEWORK_CODE: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is longer than allowed',
  FST_ERR_BAD_URL: 'The path is not a valid URL',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than allowed',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The Content-Type of the body is not supported'
}

interface AjvLikeError {
  instancePath?: string
  message?: string
  keyword?: string
  params?: Record<string, unknown>
}

function fieldsOf(validation: AjvLikeError[], context: string | undefined): FieldError[] {
  const base = context ?? 'body'
  return validation.map((v) => {
    let path = (v.instancePath ?? '').split('/').filter(Boolean).join('.')
    if (v.keyword === 'required' && typeof v.params?.missingProperty === 'string') {
      path = path ? `${path}.${v.params.missingProperty}` : v.params.missingProperty
    }
    if (v.keyword === 'additionalProperties' && typeof v.params?.additionalProperty === 'string') {
      const extra = v.params.additionalProperty
      return { field: [base, path, extra].filter(Boolean).join('.'), message: 'is not an accepted field' }
    }
    return { field: [base, path].filter(Boolean).join('.'), message: v.message ?? 'is invalid' }
  })
}

/** What a surface decides about a failure: its status for a domain error, and for a validation failure. */
export interface StatusPolicy {
  statusOf?(error: DomainError): number | undefined
  validationStatus: number
}

const DEFAULT_POLICY: StatusPolicy = { validationStatus: 422 }

/**
 * Turns anything thrown in a request into a Failure, with the statuses of the surface it is for
 * (the shared table by default); anything unexpected becomes a bare 500.
 */
export function toFailure(error: unknown, policy: StatusPolicy = DEFAULT_POLICY): Failure {
  if (error instanceof DomainError) {
    const status = policy.statusOf?.(error) ?? STATUS_BY_KIND[error.kind]
    return {
      status,
      code: error.code,
      message: error.message,
      fields: error.fields,
      headers: status === 401 ? { 'www-authenticate': 'Bearer' } : error.retryAfter !== undefined ? { 'retry-after': String(error.retryAfter) } : undefined
    }
  }
  const fe = error as FastifyError & { validationContext?: string }
  if (fe && Array.isArray(fe.validation)) {
    const fields = fieldsOf(fe.validation as AjvLikeError[], fe.validationContext)
    return {
      status: policy.validationStatus,
      code: 'VALIDATION_ERROR',
      message: `Validation failed: ${fields.map((f) => `${f.field} ${f.message}`).join('; ')}`,
      fields
    }
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500
  if (status >= 400 && status < 500) {
    let code = CODE_BY_STATUS[status] ?? `HTTP_${status}`
    let message = MESSAGE_BY_FRAMEWORK_CODE[fe.code] ?? (fe.message || code)
    if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && /JSON/i.test(fe.message ?? ''))) {
      code = 'MALFORMED_JSON'
      message = 'The request body is not valid JSON'
    } else if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      code = 'MALFORMED_JSON'
      message = "The request body is empty but Content-Type is 'application/json'"
    }
    return { status, code, message, headers: (fe as { headers?: Record<string, string> }).headers }
  }
  return { status: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' }
}
