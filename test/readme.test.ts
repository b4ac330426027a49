import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { testConfig } from '../src/config.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The first `sh` block under a README heading. */
function shellBlockUnder(heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`)
  if (at === -1) throw new Error(`README has no heading ${heading}`)
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))
  if (!block) throw new Error(`no sh block under ${heading}`)
  return block[1]!
}

/** The JSON objects printed one after another (curl adds no newline), skipping other text such as events. */
function jsonObjects(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  let depth = 0
  let start = -1
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"' && depth > 0) inString = true
    else if (c === '{') {
      if (depth++ === 0) start = i
    } else if (c === '}' && depth > 0 && --depth === 0) out.push(JSON.parse(text.slice(start, i + 1)))
    else if (c === '\n' && depth === 0) start = -1
  }
  return out
}

const missing = ['bash', 'curl', 'jq'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)

t.test('the README first calls work against the running service', { skip: missing.length ? `needs ${missing.join(', ')}` : false }, async (t) => {
  const app = await buildApp({ config: testConfig() })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const block = shellBlockUnder('## First calls')
  t.match(block, /api\/v1\/assistants/, 'the block creates an assistant')
  t.match(block, /^sleep 1$/m, 'and gives the reply a moment')
  // A loaded machine may take longer than that moment: wait for the reply instead (at most 20 s).
  const waitForReply =
    'for i in $(seq 200); do curl -s localhost:3000/api/v1/conversations/$CONVERSATION/messages -H "$AUTH" ' +
    `| jq -e '.items[] | select(.role == "assistant" and .status == "completed")' >/dev/null && break; sleep 0.1; done`
  const script = block.replace(/^sleep 1$/m, waitForReply).replaceAll('localhost:3000', `127.0.0.1:${port}`)

  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.equal(code, 0, `the block runs to the end${stderr ? `: ${stderr}` : ''}`)

  // The JSON answers come before the streamed send's events.
  const printed = jsonObjects(stdout.split(/^event: /m)[0]!)
  t.match(printed[0], { email: 'ada@example.com', full_name: 'Ada', role: 'admin' }, 'the account is made')
  t.match(printed[1], { role: 'user', content: 'What is 6*7?', seq: 1 }, 'the message is stored')
  t.match(
    printed.slice(2),
    [{ role: 'user' }, { role: 'tool' }, { role: 'tool' }, { role: 'assistant', status: 'completed', content: /42/ }],
    'and answered with the calculator'
  )
  t.match(stdout, /event: message\.delta/, 'the streamed reply comes as events')
  t.match(stdout, /event: done/, 'ending with done')
})
