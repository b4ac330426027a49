import { availableParallelism } from 'node:os'
import argon2 from 'argon2'
import pLimit from 'p-limit'
import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as zxcvbnCommon from '@zxcvbn-ts/language-common'
import { DomainError } from './errors.js'

/** The cost of an argon2id hash: memory in KiB, passes, lanes. */
export interface PasswordHashing {
  memoryCost: number
  timeCost: number
  parallelism: number
}

/** The OWASP parameters: 19 MiB, t=2, p=1. What the service uses. */
export const OWASP_PASSWORD_HASHING: Readonly<PasswordHashing> = Object.freeze({ memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 })

/** The least argon2id accepts (8 KiB a lane, one pass): still argon2id, for tests, where the cost buys nothing. */
export const MINIMAL_PASSWORD_HASHING: Readonly<PasswordHashing> = Object.freeze({ memoryCost: 8, timeCost: 1, parallelism: 1 })

let cost: Readonly<PasswordHashing> = OWASP_PASSWORD_HASHING
let dummy: Promise<string> | undefined

/**
 * Sets the cost of the hashes this process makes from now on; verification reads the cost from each
 * hash, so hashes made before still verify. The services set it from the config: one process serves
 * one config (tests build every app from `testConfig()`).
 */
export function setPasswordHashing(next: PasswordHashing): void {
  if (next.memoryCost === cost.memoryCost && next.timeCost === cost.timeCost && next.parallelism === cost.parallelism) return
  cost = Object.freeze({ memoryCost: next.memoryCost, timeCost: next.timeCost, parallelism: next.parallelism })
  dummy = undefined
}

/**
 * argon2 hashes on libuv's thread pool, off the event loop. The cap keeps a burst of logins from
 * filling that pool (which file and DNS work share) and from holding 19 MiB per queued hash.
 */
const limit = pLimit(Math.max(1, availableParallelism()))

export function hashPassword(password: string): Promise<string> {
  const options = { ...cost, type: argon2.argon2id } as const
  return limit(() => argon2.hash(password, options))
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

/** Spends the time of one verification so unknown emails take as long as wrong passwords; always false. */
export async function burnVerification(password: string): Promise<false> {
  dummy ??= hashPassword('not-a-real-password-0000')
  await verifyPassword(await dummy, password)
  return false
}

/**
 * The least zxcvbn score (0–4) a new password needs: 3 is "safely unguessable" against an online
 * attack and a throttled offline one. Common passwords, dictionary words, repeats and keyboard
 * walks score lower.
 */
export const MIN_PASSWORD_SCORE = 3

/** zxcvbn's warning keys, in words. */
const WARNINGS: Record<string, string> = {
  topTen: 'is one of the most common passwords',
  topHundred: 'is a very common password',
  common: 'is a commonly used password',
  similarToCommon: 'is too close to a commonly used password',
  wordByItself: 'is a single word, which is easy to guess',
  namesByThemselves: 'is a name, which is easy to guess',
  commonNames: 'is built from common names',
  userInputs: 'contains your email or name',
  simpleRepeat: 'repeats the same characters',
  extendedRepeat: 'repeats the same pattern',
  sequences: 'is a common sequence like "abc" or "123"',
  straightRow: 'is a row of keys on a keyboard',
  keyPattern: 'is a keyboard pattern',
  dates: 'is or contains a date',
  recentYears: 'is or contains a recent year'
}

let estimator: ZxcvbnFactory | undefined

/**
 * Refuses a password that is easy to guess (estimated with zxcvbn over its common-password and
 * word lists, and the account's own email and name), with a WEAK_PASSWORD naming the field.
 */
export function assertStrongPassword(password: string, field: string, userInputs: (string | null | undefined)[] = []): void {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...zxcvbnCommon.dictionary }, graphs: zxcvbnCommon.adjacencyGraphs })
  const inputs = userInputs.flatMap((s) => (s ? [s, ...s.split(/[@.\s]+/)] : [])).filter((s) => s.length >= 3)
  const result = estimator.check(password, inputs)
  if (result.score >= MIN_PASSWORD_SCORE) return
  const why = (result.feedback.warning && WARNINGS[result.feedback.warning]) || 'is too easy to guess'
  const message = `${why}: choose a longer password, e.g. several unrelated words`
  throw new DomainError('WEAK_PASSWORD', `The password ${message}`, [{ field, message }])
}
