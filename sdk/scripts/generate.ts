/**
 * Generates the SDK's types (`sdk/src/openapi.d.ts`) from the committed v1 document
 * (`openapi/openapi.json`) with openapi-typescript, or checks that the committed file is what it
 * generates. Nothing in `sdk/src/openapi.d.ts` is written by hand.
 *
 *   tsx sdk/scripts/generate.ts write   # npm run sdk
 *   tsx sdk/scripts/generate.ts check   # npm run sdk:check (CI): fails when the committed file drifts
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { writeOrCheck } from '../../scripts/generated-file.js'

const sdk = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(sdk, '..', 'openapi', 'openapi.json')
const target = join(sdk, 'src', 'openapi.d.ts')
const mode = process.argv[2] ?? 'write'

const document = JSON.parse(readFileSync(source, 'utf8'))
const ast = await openapiTS(document, { alphabetize: false, silent: true })
const header = '/**\n * Generated from openapi/openapi.json by `npm run sdk` (openapi-typescript): do not edit.\n */\n\n'
const text = header + astToString(ast)

if (!writeOrCheck(target, text, mode, 'sdk/src/openapi.d.ts', 'npm run sdk')) process.exit(1)
