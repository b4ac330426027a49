import type { Tx } from '../db/index.js'
import { users } from '../db/schema.js'
import { nowIso } from './clock.js'

/**
 * The account that owns what is made without a person: the workspaces the dispatch surface
 * creates (its callers hold a shared key, not an account). It has no password and is disabled,
 * so nobody can sign in as it, and it does not count as the first account when people register.
 */
export const SYSTEM_OWNER_ID = '00000000-0000-7000-8000-000000000000'
export const SYSTEM_OWNER_EMAIL = 'dispatch@system.invalid'

/** Creates the system owner on first use, in the caller's transaction; returns its id. */
export function ensureSystemOwner(tx: Tx): string {
  const now = nowIso()
  tx.insert(users)
    .values({
      id: SYSTEM_OWNER_ID,
      email: SYSTEM_OWNER_EMAIL,
      emailNormalized: SYSTEM_OWNER_EMAIL,
      passwordHash: null,
      fullName: 'Dispatch',
      role: 'user',
      isActive: false,
      createdAt: now,
      updatedAt: now
    })
    .onConflictDoNothing()
    .run()
  return SYSTEM_OWNER_ID
}
