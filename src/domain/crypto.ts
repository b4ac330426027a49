import { createHash, randomBytes } from 'node:crypto'

/** The hex SHA-256 of a string: how tokens and keys are stored, never in the clear. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

/** A secret token: the prefix (which tells its kind) and 32 random bytes in base64url. */
export function randomToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url')
}
