// `npm run build`: bundles the service's sources (src/server.ts and what it imports) into
// dist/server.js, plain JavaScript that `npm start` runs with no TypeScript step at start.
// The packages are bundled too, but for those scripts/bundling.mjs leaves in node_modules (native
// addons, packages that read their own files, the vendor SDKs loaded on first use): Node then
// reads and compiles one file at start instead of several hundred modules.
//
// `node scripts/build.mjs --if-stale` (npm's prestart) builds only when the bundle is missing or
// older than a file under src/ or schemas/ (or package.json, the lockfile or the build scripts),
// so `npm install && npm start` works from a fresh checkout and after every change, and a start
// after no change costs a few stat calls.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// In dist/, one level under the root like src/: the service finds its files from there (src/resources.ts).
const ENTRY = join(ROOT, 'dist/server.js')
const INPUTS = ['src', 'schemas', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build.mjs', 'scripts/bundling.mjs']

function newestChange(path) {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (!stat) return 0
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, name)))
  return newest
}

function isStale() {
  const built = statSync(ENTRY, { throwIfNoEntry: false })
  if (!built) return true
  return INPUTS.some((input) => newestChange(join(ROOT, input)) > built.mtimeMs)
}

export async function build() {
  const { build: bundle } = await import('esbuild')
  const { ESM_BANNER, EXTERNAL_PACKAGES, locationGuard } = await import('./bundling.mjs')
  await bundle({
    absWorkingDir: ROOT,
    entryPoints: ['src/server.ts'],
    outfile: ENTRY,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL_PACKAGES,
    banner: { js: ESM_BANNER },
    plugins: [locationGuard],
    sourcemap: true,
    logLevel: 'warning'
  })
}

if (process.argv.includes('--if-stale') && !isStale()) process.exit(0)
try {
  await build()
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && statSync(ENTRY, { throwIfNoEntry: false })) {
    // An install without dev dependencies cannot rebuild: run the bundle it has.
    console.warn('esbuild is not installed: starting the existing build, dist/server.js')
  } else {
    throw err
  }
}
