// Compiles each test file, with the source it imports, into one JavaScript module under
// `.build/test/`, so `npm test` runs plain JavaScript: a TypeScript loader in every test process
// spent more time loading modules than most tests spend testing. Packages stay external.
// `import.meta.url` keeps its source file's value, so paths relative to a file (migrations,
// committed documents, fixtures) resolve as they do in the source tree.
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const outdir = join(root, '.build/test')

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

const entries = (await readdir(join(root, 'test'))).filter((f) => f.endsWith('.test.ts')).map((f) => join(root, 'test', f))
await rm(outdir, { recursive: true, force: true })
await build({
  entryPoints: entries,
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  sourceRoot: root,
  plugins: [sourceUrls],
  logLevel: 'warning'
})
