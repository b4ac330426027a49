// Compiles the test files into plain JavaScript modules under `.build/test/`, which `npm test`
// runs (its pretest step builds them).
//
// Every test process pays to start Node, load the service and compile its schemas, and tap adds
// its own bookkeeping per process. So the tests that build the app in-process run a handful of
// files to a process: `.build/test/in-process/<first>+<n>.test.mjs` holds a group of test files
// in alphabetical order, which share one copy of the service's code and its compiled schemas.
// Each file's tests still build their own app on their own database. The files that start other
// processes, a browser or a build (E2E) run alone, from `.build/test/e2e/`: tap runs the files in
// alphabetical order, so these long ones start first and the groups fill the time they spend
// waiting.
//
// Packages are bundled as in dist/server.js (scripts/bundling.mjs). `import.meta.url` keeps its
// source file's value, so paths relative to a test or source file resolve as in the source tree.
//
// `node scripts/build-tests.mjs --out <dir> test/a.test.ts ...` builds the named files one to a
// bundle (`npm run test:quick` does).
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { ESM_BANNER, EXTERNAL_PACKAGES, locationGuard } from './bundling.mjs'

const root = new URL('..', import.meta.url).pathname

/** Test files that start processes, a browser or a build: each runs in a process of its own. */
const E2E = ['binary', 'browser', 'browser-sign-in', 'examples', 'sdk', 'seed', 'server']
/** In-process test files that also need a process of their own: `passwords` checks the default hashing cost before anything sets it. */
const ALONE = ['passwords']
/** At most this many test files share a process. */
const GROUP_SIZE = 6

const sourceUrls = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async ({ path }) => ({
      // (Not inside a string: a build script may name it, as an esbuild `define` key.)
      contents: (await readFile(path, 'utf8')).replace(/(?<![\w.'"`])import\.meta\.url(?![\w'"`])/g, JSON.stringify(pathToFileURL(path).href)),
      loader: 'ts'
    }))
  }
}

/** Bundles each entry (name → source files it imports, in order) into `<outdir>/<name>.test.mjs`. */
async function bundle(outdir, entries) {
  await rm(outdir, { recursive: true, force: true })
  await mkdir(outdir, { recursive: true })
  const stubs = join(outdir, '.entries')
  await mkdir(stubs, { recursive: true })
  const entryPoints = {}
  for (const [name, files] of Object.entries(entries)) {
    const stub = join(stubs, `${name.replace('/', '-')}.ts`)
    await writeFile(stub, files.map((f) => `import ${JSON.stringify(relative(stubs, f))}\n`).join(''))
    entryPoints[`${name}.test`] = stub
  }
  await build({
    entryPoints,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL_PACKAGES,
    banner: { js: ESM_BANNER },
    sourcemap: 'linked',
    sourcesContent: false,
    plugins: [locationGuard, sourceUrls],
    logLevel: 'warning'
  })
  await rm(stubs, { recursive: true, force: true })
}

const args = process.argv.slice(2)
if (args[0] === '--out') {
  const outdir = join(root, args[1])
  await bundle(outdir, Object.fromEntries(args.slice(2).map((f) => [basename(f, '.test.ts'), [join(root, f)]])))
} else {
  const names = (await readdir(join(root, 'test')))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -'.test.ts'.length))
    .sort()
  const file = (n) => join(root, 'test', `${n}.test.ts`)
  const entries = {}
  for (const n of names.filter((n) => E2E.includes(n) || ALONE.includes(n))) entries[`${E2E.includes(n) ? 'e2e' : 'in-process'}/${n}`] = [file(n)]
  const grouped = names.filter((n) => !E2E.includes(n) && !ALONE.includes(n))
  for (let i = 0; i < grouped.length; i += GROUP_SIZE) {
    const group = grouped.slice(i, i + GROUP_SIZE)
    entries[`in-process/${group.length === 1 ? group[0] : `${group[0]}+${group.length - 1}`}`] = group.map(file)
  }
  await bundle(join(root, '.build/test'), entries)
}
