/**
 * Writes (or checks) the generated API documents in `openapi/` by building the app in-process
 * and asking it for its specification. Nothing in `openapi/` is written by hand.
 *
 *   tsx scripts/openapi.ts write   # npm run openapi
 *   tsx scripts/openapi.ts check   # npm run openapi:check: fails when the committed files drift
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateDocuments } from '../src/documents.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const mode = process.argv[2] ?? 'write'
const docs = await generateDocuments()

let drift = false
for (const [name, doc] of Object.entries(docs)) {
  const file = join(root, 'openapi', name)
  const text = `${JSON.stringify(doc, null, 2)}\n`
  if (mode === 'check') {
    let committed = ''
    try {
      committed = readFileSync(file, 'utf8')
    } catch {}
    if (committed !== text) {
      console.error(`openapi/${name} differs from what the code generates; run \`npm run openapi\` and commit it.`)
      drift = true
    } else console.log(`openapi/${name} is up to date`)
  } else {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    console.log(`wrote openapi/${name}`)
  }
}
if (drift) process.exit(1)
