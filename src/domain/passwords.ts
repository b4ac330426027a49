import { availableParallelism } from 'node:os'
import argon2 from 'argon2'
import pLimit from 'p-limit'

/** argon2id with the OWASP parameters: 19 MiB, t=2, p=1. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const

/**
 * argon2 hashes on libuv's thread pool, off the event loop. The cap keeps a burst of logins from
 * filling that pool (which file and DNS work share) and from holding 19 MiB per queued hash.
 */
const limit = pLimit(Math.max(1, availableParallelism()))

export function hashPassword(password: string): Promise<string> {
  return limit(() => argon2.hash(password, OPTIONS))
}

export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return limit(async () => {
    try {
      return await argon2.verify(hash, password)
    } catch {
      return false
    }
  })
}

let dummy: Promise<string> | undefined
/** Spends the time of one verification so unknown emails take as long as wrong passwords. */
export async function burnVerification(password: string): Promise<void> {
  dummy ??= hashPassword('not-a-real-password-0000')
  await verifyPassword(await dummy, password)
}
