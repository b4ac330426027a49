import { v7 as uuidv7 } from 'uuid'

/** A new UUIDv7: time-ordered, so ids sort by creation. */
export function newId(): string {
  return uuidv7()
}

/** Now as ISO 8601 UTC with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString()
}

export function isoIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString()
}
