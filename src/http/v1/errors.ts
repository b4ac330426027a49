import type { Failure } from '../errors.js'

/** The v1 error body: `{ detail, status_code, error_code }`, plus failing fields. */
export function v1ErrorBody(f: Failure) {
  return {
    detail: f.message,
    status_code: f.status,
    error_code: f.code,
    ...(f.fields ? { errors: f.fields } : {})
  }
}
