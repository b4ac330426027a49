/**
 * The stable codes the domain throws. Each surface maps a code to its own status and words;
 * `kind` says what sort of failure it is so a surface needs a table only for its exceptions.
 */
export const ERROR_KINDS = {
  VALIDATION_ERROR: 'invalid',
  BAD_REQUEST: 'bad_request',
  UNAUTHORIZED: 'unauthenticated',
  INVALID_CREDENTIALS: 'unauthenticated',
  INVALID_TOKEN: 'unauthenticated',
  INVALID_REFRESH_TOKEN: 'unauthenticated',
  /** Too many failed sign-ins for one account: it is locked for a short while. */
  TOO_MANY_ATTEMPTS: 'rate_limited',
  /** A new password that is too easy to guess. */
  WEAK_PASSWORD: 'invalid',
  ACCOUNT_DISABLED: 'forbidden',
  FORBIDDEN: 'forbidden',
  ADMIN_REQUIRED: 'forbidden',
  LAST_ADMIN: 'conflict',
  EMAIL_TAKEN: 'conflict',
  USER_NOT_FOUND: 'not_found',
  API_KEY_NOT_FOUND: 'not_found',
  WORKSPACE_NOT_FOUND: 'not_found',
  NOT_WORKSPACE_OWNER: 'forbidden',
  WORKSPACE_ADMIN_REQUIRED: 'forbidden',
  WORKSPACE_PATH_TAKEN: 'conflict',
  WORKSPACE_MEMBER_NOT_FOUND: 'not_found',
  WORKSPACE_MEMBER_EXISTS: 'conflict',
  WORKSPACE_OWNER_LOCKED: 'conflict',
  WORKSPACE_AGENT_NOT_FOUND: 'not_found',
  ASSISTANT_NOT_FOUND: 'not_found',
  CONVERSATION_NOT_FOUND: 'not_found',
  CHAT_NOT_FOUND: 'not_found',
  /** A conversation one may see, but not with an assistant: it has no assistant room. */
  ROOM_NOT_FOUND: 'not_found',
  NOT_CONVERSATION_OWNER: 'forbidden',
  MESSAGE_NOT_FOUND: 'not_found',
  NOT_MESSAGE_AUTHOR: 'forbidden',
  IDEMPOTENCY_KEY_REUSED: 'conflict',
  IDEMPOTENCY_NOT_SUPPORTED: 'bad_request',
  WEBHOOK_NOT_FOUND: 'not_found',
  WEBHOOK_DELIVERY_NOT_FOUND: 'not_found',
  WEBHOOK_URL_NOT_ALLOWED: 'invalid',
  WEBHOOK_DISABLED: 'conflict',
  FILE_NOT_FOUND: 'not_found',
  FILE_TOO_LARGE: 'too_large',
  UNSUPPORTED_FILE_TYPE: 'unsupported_media_type',
  // Browser sign-in with an OpenID Connect provider.
  OAUTH_PROVIDER_NOT_FOUND: 'not_found',
  OAUTH_STATE_INVALID: 'bad_request',
  OAUTH_FAILED: 'unauthenticated',
  OAUTH_PROVIDER_UNAVAILABLE: 'upstream',
  EMAIL_NOT_VERIFIED: 'forbidden',
  EMAIL_NOT_ALLOWED: 'forbidden',
  CSRF_REJECTED: 'forbidden',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  // Assistants, tools and models.
  NOT_ASSISTANT_OWNER: 'forbidden',
  TOOL_NOT_FOUND: 'not_found',
  TOOL_NAME_TAKEN: 'conflict',
  UNKNOWN_TOOL: 'invalid',
  UNKNOWN_MODEL: 'invalid',
  MODEL_NOT_CONFIGURED: 'invalid',
  ADDRESS_NOT_ALLOWED: 'invalid',
  MODEL_REQUEST_REJECTED: 'bad_request',
  /** The caller went away and its model call was stopped; nobody receives this answer. */
  REQUEST_CANCELLED: 'bad_request',
  MODEL_RATE_LIMITED: 'rate_limited',
  MODEL_UNAVAILABLE: 'upstream',
  MODEL_ERROR: 'upstream',
  MODEL_TIMEOUT: 'upstream_timeout',
  /** No speech engine is configured on this server. */
  SPEECH_NOT_CONFIGURED: 'unavailable',
  SPEECH_FAILED: 'upstream',
  /** Images or video for a model that does not take them. */
  MODEL_INPUT_NOT_SUPPORTED: 'invalid',
  /** Audio to run on, and no transcription engine configured on this server. */
  TRANSCRIPTION_NOT_CONFIGURED: 'unavailable',
  TRANSCRIPTION_FAILED: 'upstream',
  // Disclosed access: for surfaces whose documents tell "yours" from "exists" (see AccessOptions).
  CONVERSATION_ACCESS_DENIED: 'forbidden',
  WORKSPACE_ACCESS_DENIED: 'forbidden',
  WORKSPACE_CONTRIBUTOR_REQUIRED: 'forbidden',
  /** A chat connection string or message secret that is unknown, expired or for another chat. */
  INVALID_CHAT_SECRET: 'unauthenticated',
  AGENT_PACKAGE_NOT_FOUND: 'not_found',
  /** A package in the registry that cannot be installed (unreadable or invalid manifest). */
  AGENT_PACKAGE_INVALID: 'upstream',
  // Dispatch: workspaces on disk and their sessions.
  WORKSPACE_PATH_INVALID: 'bad_request',
  WORKSPACE_EXISTS: 'conflict',
  WORKSPACE_HAS_RUNNING_SESSIONS: 'conflict',
  DISPATCH_SESSION_NOT_FOUND: 'not_found',
  DISPATCH_SESSION_NOT_RUNNING: 'conflict',
  DISPATCH_SESSION_LIMIT: 'conflict',
  DISPATCH_SESSION_FAILED: 'upstream'
} as const

export type ErrorCode = keyof typeof ERROR_KINDS
export type ErrorKind = (typeof ERROR_KINDS)[ErrorCode]

export interface FieldError {
  field: string
  message: string
}

export class DomainError extends Error {
  readonly code: ErrorCode
  readonly kind: ErrorKind
  readonly fields?: FieldError[]
  /** Seconds after which a retry may succeed (rate limits). */
  readonly retryAfter?: number

  constructor(code: ErrorCode, message: string, fields?: FieldError[], options?: { retryAfter?: number }) {
    super(message)
    this.name = 'DomainError'
    this.code = code
    this.kind = ERROR_KINDS[code]
    this.fields = fields
    this.retryAfter = options?.retryAfter
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError
}
