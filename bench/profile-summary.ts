/**
 * `tsx bench/profile-summary.ts <file.cpuprofile> [--top N]`: where a CPU profile of
 * `dist/server.js` spends its time, in text to read and commit beside the figures it explains.
 *
 * The bundle is one file, so a profile's URLs all name `dist/server.js`; esbuild heads each module
 * it bundles with a `// path` comment, and a function's line falls in the module whose comment
 * comes last before it. Self time is grouped three ways: by package (or `src/<dir>` for the
 * service's own code, `(native)` for V8 and Node internals, `(gc)`, `(idle)`), by module, and by
 * function; then by function again, inclusive of what each calls. Percentages are of the busy time
 * (everything but `(idle)`).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, bundle: { type: 'string' } } })
const file = positionals[0]
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--bundle dist/server.js]')
  process.exit(2)
}
const top = Number(values.top)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile

// Module boundaries of the bundle: [first line (0-based), module path], in order.
const bundlePath = resolve(values.bundle ?? 'dist/server.js')
const boundaries: [number, string][] = []
readFileSync(bundlePath, 'utf8')
  .split('\n')
  .forEach((line, i) => {
    if (line.startsWith('// ') && /^\/\/ (node_modules|src|schemas)\//.test(line)) boundaries.push([i, line.slice(3)])
  })

function moduleAt(line: number): string {
  let lo = 0
  let hi = boundaries.length - 1
  let found = '(bundle prelude)'
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const [start, path] = boundaries[mid] as [number, string]
    if (start <= line) {
      found = path
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

function packageOf(module: string): string {
  if (module.startsWith('src/')) return module.split('/').slice(0, 2).join('/').replace(/\.ts$/, '')
  const parts =
    module
      .split('/node_modules/')
      .pop()
      ?.replace(/^node_modules\//, '')
      .split('/') ?? []
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? module)
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const selfMicros = new Map<number, number>()
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})

const where = (n: ProfileNode): { pkg: string; module: string; fn: string } => {
  const { functionName, url, lineNumber } = n.callFrame
  const name = functionName || '(anonymous)'
  if (name === '(garbage collector)') return { pkg: '(gc)', module: '(gc)', fn: name }
  if (name === '(idle)') return { pkg: '(idle)', module: '(idle)', fn: name }
  if (url.endsWith(bundlePath) || url.endsWith('dist/server.js')) {
    const module = moduleAt(lineNumber)
    return { pkg: packageOf(module), module, fn: `${name} (${module}, bundle line ${lineNumber + 1})` }
  }
  if (url.includes('/node_modules/')) {
    const module = `node_modules/${url.split('/node_modules/').pop()}`
    return { pkg: packageOf(module), module, fn: `${name} (${module}:${lineNumber + 1})` }
  }
  if (url.startsWith('node:')) return { pkg: '(node)', module: url, fn: `${name} (${url})` }
  return { pkg: '(native)', module: url || '(native)', fn: name }
}

const pkgs = new Map<string, number>()
const modules = new Map<string, number>()
const fns = new Map<string, number>()
let busy = 0
let idle = 0
for (const [id, us] of selfMicros) {
  const node = byId.get(id)
  if (!node) continue
  const w = where(node)
  if (w.pkg === '(idle)') {
    idle += us
    continue
  }
  busy += us
  pkgs.set(w.pkg, (pkgs.get(w.pkg) ?? 0) + us)
  modules.set(w.module, (modules.get(w.module) ?? 0) + us)
  fns.set(w.fn, (fns.get(w.fn) ?? 0) + us)
}

// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const inclusive = new Map<string, number>()
for (const [id, us] of selfMicros) {
  const leaf = byId.get(id)
  if (!leaf || where(leaf).pkg === '(idle)') continue
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const n = byId.get(at)
    if (!n || n.callFrame.functionName === '(root)') continue
    const fn = where(n).fn
    if (seen.has(fn)) continue
    seen.add(fn)
    inclusive.set(fn, (inclusive.get(fn) ?? 0) + us)
  }
}

const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`
const table = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${k}`)
}
console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy, ${(idle / 1e6).toFixed(2)} s idle (self time, % of busy)`)
table('By package', pkgs)
table('By module', modules)
table('By function', fns)
table('By function, inclusive (the function and what it calls)', inclusive)
