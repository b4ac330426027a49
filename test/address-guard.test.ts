import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { callHttpTool } from '../src/ai/tools/http.js'
import { AddressNotAllowedError, assertPublicAddress, assertPublicUrlSyntax, isPublicAddress, refusedRange } from '../src/net/address-guard.js'

t.test('only public unicast addresses pass', async (t) => {
  const refused = [
    '127.0.0.1',
    '127.1.2.3',
    '0.0.0.0',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.1',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::a00:1',
    '2002:7f00:1::',
    'ff02::1',
    // IPv4-compatible, translated, NAT64 and 6to4 forms of private addresses
    '::127.0.0.1',
    '::7f00:1',
    '::10.0.0.1',
    '::169.254.169.254',
    '::ffff:0:127.0.0.1',
    '64:ff9b::127.0.0.1',
    '64:ff9b::169.254.169.254',
    '64:ff9b:1::a00:1',
    '2002:a9fe:a9fe::1',
    '2002:c0a8:101::'
  ]
  for (const ip of refused) t.notOk(isPublicAddress(ip), `${ip} is refused (${refusedRange(ip)})`)
  for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8', '2002:808:808::1'])
    t.ok(isPublicAddress(ip), `${ip} is public`)
})

t.test('URLs: scheme, literals, localhost, and DNS answers', async (t) => {
  for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'http://user:pw@example.com/']) {
    t.throws(() => assertPublicUrlSyntax(url, false), AddressNotAllowedError, url)
  }
  for (const url of [
    'http://127.0.0.1:8080/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::127.0.0.1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[2002:7f00:1::1]/',
    'http://localhost/',
    'http://api.localhost/',
    'http://169.254.169.254/latest/meta-data',
    'http://2130706433/',
    'http://0x7f.1/'
  ]) {
    t.throws(() => assertPublicUrlSyntax(url, false), AddressNotAllowedError, url)
    await t.rejects(assertPublicAddress(url, false), AddressNotAllowedError, url)
  }
  t.ok(assertPublicUrlSyntax('https://example.com/hook', false))
  t.ok(assertPublicUrlSyntax('http://127.0.0.1:8080/', true), 'allowed when private addresses are allowed')
  // `localhost` resolves (through /etc/hosts) to loopback: refused after the lookup too.
  await t.rejects(assertPublicAddress('http://localhost:1234/', false), /loopback|not public/)
  const addrs = await assertPublicAddress('http://localhost:1234/', true)
  t.ok(addrs.length > 0)
  await t.rejects(assertPublicAddress('http://no-such-host.invalid/', false), /could not be resolved/)
})

t.test('an HTTP tool never reaches loopback unless private addresses are allowed', async (t) => {
  const hits: { method?: string; url?: string; body: string }[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      hits.push({ method: req.method, url: req.url, body })
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { location: 'http://169.254.169.254/' })
        return res.end()
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ echo: body || req.url }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const { port } = server.address() as AddressInfo
  const ctx = { signal: new AbortController().signal }

  for (const host of ['127.0.0.1', 'localhost']) {
    await t.rejects(callHttpTool({ url: `http://${host}:${port}/tool`, method: 'POST' }, { q: 1 }, ctx, { allowPrivate: false }), AddressNotAllowedError, host)
  }
  t.equal(hits.length, 0, 'no request reached the server')

  const post = JSON.parse(await callHttpTool({ url: `http://127.0.0.1:${port}/tool`, method: 'POST' }, { q: 'x' }, ctx, { allowPrivate: true }))
  t.same(post, { status: 200, ok: true, body: { echo: '{"q":"x"}' } })
  const get = JSON.parse(await callHttpTool({ url: `http://localhost:${port}/search`, method: 'GET' }, { q: 'cats', n: 2 }, ctx, { allowPrivate: true }))
  t.same(get.body, { echo: '/search?q=cats&n=2' })
  await t.rejects(callHttpTool({ url: `http://127.0.0.1:${port}/redirect`, method: 'GET' }, {}, ctx, { allowPrivate: true }), /redirect/)
})
