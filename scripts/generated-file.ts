import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Writes a generated file (`mode` other than `check`), or checks that the committed one is what
 * the code generates, saying which command fixes it. Returns false when a checked file drifted.
 */
export function writeOrCheck(file: string, text: string, mode: string, name: string, fix: string): boolean {
  if (mode !== 'check') {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    console.log(`wrote ${name}`)
    return true
  }
  let committed = ''
  try {
    committed = readFileSync(file, 'utf8')
  } catch {}
  if (committed !== text) {
    console.error(`${name} differs from what the code generates; run \`${fix}\` and commit it.`)
    return false
  }
  console.log(`${name} is up to date`)
  return true
}
