/**
 * Generates the SDK's committed files, or checks that the committed ones are what it generates:
 *
 * - `sdk/src/openapi.d.ts`: the types of every operation, from the committed v1 document
 *   (`openapi/openapi.json`) with openapi-typescript;
 * - `public/playground/vendor/sdk.mjs`: the SDK's client bundled by esbuild as one browser ES
 *   module, so the playground page imports the SDK with no build step when it is served.
 *
 * Nothing in either file is written by hand.
 *
 *   tsx sdk/scripts/generate.ts write   # npm run sdk
 *   tsx sdk/scripts/generate.ts check   # npm run sdk:check (CI): fails when a committed file drifts
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import openapiTS, { astToString } from 'openapi-typescript'
import { writeOrCheck } from '../../scripts/generated-file.js'

const sdk = join(dirname(fileURLToPath(import.meta.url)), '..')
const root = join(sdk, '..')
const mode = process.argv[2] ?? 'write'

async function types(): Promise<string> {
  const document = JSON.parse(readFileSync(join(root, 'openapi', 'openapi.json'), 'utf8'))
  const ast = await openapiTS(document, { alphabetize: false, silent: true })
  const header = '/**\n * Generated from openapi/openapi.json by `npm run sdk` (openapi-typescript): do not edit.\n */\n\n'
  return header + astToString(ast)
}

/** The client (`sdk/src/index.ts` and openapi-fetch) as one ES module a browser imports as it is. */
async function browserBundle(): Promise<string> {
  const result = await build({
    entryPoints: ['sdk/src/index.ts'],
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    legalComments: 'inline',
    banner: { js: '// Generated from sdk/src/ by `npm run sdk` (esbuild): do not edit.' },
    logLevel: 'silent'
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error('esbuild wrote no bundle')
  return file.text
}

const ok = [
  writeOrCheck(join(sdk, 'src', 'openapi.d.ts'), await types(), mode, 'sdk/src/openapi.d.ts', 'npm run sdk'),
  writeOrCheck(join(root, 'public', 'playground', 'vendor', 'sdk.mjs'), await browserBundle(), mode, 'public/playground/vendor/sdk.mjs', 'npm run sdk')
]
if (ok.includes(false)) process.exit(1)
