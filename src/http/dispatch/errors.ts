import { errorResponses } from '../surface.js'
import { DISPATCH_ERROR_DESCRIPTIONS, DispatchError } from '../../../schemas/dispatch/common.js'
import type { Failure } from '../errors.js'
import { AUTH_REQUIRED } from './auth.js'

/** The dispatch error body: `{"message": …}`; every 401 says how to authenticate. */
export function dispatchErrorBody(failure: Failure): { message: string } {
  return { message: failure.status === 401 ? AUTH_REQUIRED : failure.message }
}

/** Error responses of a dispatch route, in its error body. */
export function dispatchErrors(...statuses: number[]) {
  return errorResponses({ errorSchema: DispatchError, errorDescriptions: DISPATCH_ERROR_DESCRIPTIONS }, statuses)
}
