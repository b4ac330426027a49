import { readFileSync } from 'node:fs'
import semver from 'semver'
import t from 'tap'

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
const pkg = JSON.parse(read('package.json')) as { engines: { node: string } }
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { engines?: Record<string, string> | string[]; dev?: boolean; optional?: boolean }>
}
const declared = pkg.engines.node

/** The Node range a locked package declares, if any (a few old ones give a list of strings). */
function nodeRange(engines: Record<string, string> | string[] | undefined): string | undefined {
  if (!engines) return undefined
  if (Array.isArray(engines)) return engines.find((e) => e.startsWith('node'))?.replace(/^node\s*/, '')
  return engines.node
}

t.test('package.json promises no Node version a locked dependency refuses', async (t) => {
  t.ok(semver.validRange(declared), `engines.node (${declared}) is a range`)
  const refusing: string[] = []
  let checked = 0
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = nodeRange(entry.engines)
    if (!path || !range) continue
    checked++
    if (!semver.subset(declared, range)) refusing.push(`${path.replace(/^.*node_modules\//, '')}${entry.dev ? ' (dev)' : ''} wants ${range}`)
  }
  t.ok(checked > 50, `the engines of ${checked} locked packages were compared`)
  t.same(refusing, [], 'every locked package accepts the whole declared range')
  t.notOk(semver.satisfies('20.20.0', declared), 'Node 20, past its end of life, is not promised')
})

t.test('the Docker image runs a Node the range promises', async (t) => {
  const froms = [...read('Dockerfile').matchAll(/^FROM node:(\d+)[-\w.]*/gm)].map((m) => m[1]!)
  t.ok(froms.length > 0, 'the Dockerfile builds from node images')
  for (const major of froms) t.ok(semver.intersects(`${major}.x`, declared), `node:${major} is within ${declared}`)
})

t.test('this Node', async (t) => {
  // CI runs on the machine's Node, which may be older than the range: say so rather than fail.
  const within = semver.satisfies(process.versions.node, declared)
  t.comment(`Node ${process.versions.node} is ${within ? 'within' : 'outside'} the supported range ${declared}`)
  t.pass('reported')
})
