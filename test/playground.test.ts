import { readFileSync } from 'node:fs'
import t from 'tap'
import { build } from './helper.js'

const source = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')

t.test('/playground serves the page, its modules and the SDK, with no build step', async (t) => {
  const app = await build(t)
  for (const url of ['/playground', '/playground/']) {
    const page = await app.inject(url)
    t.equal(page.statusCode, 200, url)
    t.match(page.headers['content-type'], /^text\/html/)
    t.match(page.body, '<base href="/playground/">', 'its links resolve under /playground/')
    t.match(page.body, '<script type="module" src="app.js">')
  }
  for (const [url, file] of [
    ['/playground/app.js', 'public/playground/app.js'],
    ['/playground/api.js', 'public/playground/api.js'],
    ['/playground/style.css', 'public/playground/style.css'],
    ['/playground/vendor/sdk.mjs', 'public/playground/vendor/sdk.mjs']
  ] as const) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, url)
    t.equal(res.body, source(file), `${url} is ${file}`)
    t.match(res.headers['content-type'], url.endsWith('.css') ? /^text\/css/ : /javascript/, `${url} has a type a browser runs`)
  }
  const api = source('public/playground/api.js')
  t.match(api, "from './vendor/sdk.mjs'", 'the page talks to the API through the SDK')
  t.notMatch(api, /openapi-fetch/, 'and imports nothing else')
  t.notMatch(api, /new WebSocket|\/ws\/ticket/, 'the SDK opens /ws for it')
  const sdk = source('public/playground/vendor/sdk.mjs')
  t.match(sdk, /^\/\/ Generated from sdk\/src\/ by `npm run sdk`/, 'the bundle is the generated one')
  t.match(sdk, /^export \{[^}]*\bcreateClient\b[^}]*\}/m, 'it exports the SDK client')
  t.notMatch(sdk, /^import /m, 'and imports nothing: the browser loads it as it is')

  const missing = await app.inject('/playground/nothing-here.js')
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().error_code, 'NOT_FOUND')
  const outside = await app.inject('/playground/..%2fpackage.json')
  t.equal(outside.statusCode, 404, 'nothing outside the page folder is served')
})

t.test('under BASE_PATH the page links under it', async (t) => {
  const app = await build(t, { basePath: '/assistant' })
  const page = await app.inject('/assistant/playground')
  t.equal(page.statusCode, 200)
  t.match(page.body, '<base href="/assistant/playground/">')
  t.equal((await app.inject('/assistant/playground/app.js')).statusCode, 200)
  t.equal((await app.inject('/playground')).statusCode, 404, 'nothing answers outside BASE_PATH')
})

t.test('the page is not an API operation', async (t) => {
  const app = await build(t)
  const doc = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> }
  t.notOk(
    Object.keys(doc.paths).some((p) => p.startsWith('/playground')),
    'left out of the OpenAPI document'
  )
})
