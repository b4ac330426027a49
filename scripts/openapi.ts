/**
 * Writes (or checks) the generated API documents in `openapi/` by building the app in-process
 * and asking it for its specification. Nothing in `openapi/` is written by hand.
 *
 *   tsx scripts/openapi.ts write   # npm run openapi
 *   tsx scripts/openapi.ts check   # npm run openapi:check: fails when the committed files drift
 */
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateDocuments } from '../src/documents.js'
import { writeOrCheck } from './generated-file.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const mode = process.argv[2] ?? 'write'
const docs = await generateDocuments()

let drift = false
for (const [name, doc] of Object.entries(docs)) {
  if (!writeOrCheck(join(root, 'openapi', name), `${JSON.stringify(doc, null, 2)}\n`, mode, `openapi/${name}`, 'npm run openapi')) drift = true
}
if (drift) process.exit(1)
