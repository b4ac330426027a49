import { createHash } from 'node:crypto'
import t from 'tap'
import { build } from './helper.js'

t.test('every API document has a strong ETag; If-None-Match gets a 304 with no body', async (t) => {
  const app = await build(t)
  const urls = ['/openapi.json', '/openapi/chat-app.json', '/openapi/classic.json', '/openapi/dispatch.json']
  const etags = new Set<string>()
  for (const url of urls) {
    const full = await app.inject({ method: 'GET', url })
    t.equal(full.statusCode, 200, url)
    t.match(full.headers['content-type'], /^application\/json/)
    t.ok(full.json().openapi, 'an OpenAPI document')
    const etag = String(full.headers.etag)
    t.equal(etag, `"${createHash('sha256').update(full.body).digest('hex')}"`, `${url}: the ETag is the SHA-256 of the document, quoted (strong)`)
    t.equal(full.headers['cache-control'], 'no-cache', 'a cache asks again before using it')
    etags.add(etag)

    const again = await app.inject({ method: 'GET', url })
    t.equal(again.headers.etag, etag, 'the same document, the same ETag')

    const cached = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } })
    t.equal(cached.statusCode, 304, 'If-None-Match with it is a 304')
    t.equal(cached.rawPayload.length, 0, 'with no body')
    t.equal(cached.headers.etag, etag)

    const changed = await app.inject({ method: 'GET', url, headers: { 'if-none-match': '"an-older-one"' } })
    t.equal(changed.statusCode, 200, 'another ETag gets the document')
    t.equal(changed.body, full.body)

    const reload = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag, 'cache-control': 'no-cache' } })
    t.equal(reload.statusCode, 200, 'a forced reload (Cache-Control: no-cache) gets the document')
  }
  t.equal(etags.size, urls.length, 'each document has its own ETag')
})
