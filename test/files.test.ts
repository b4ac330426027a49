import { createHash } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { eq } from 'drizzle-orm'
import t from 'tap'
import { conversationParticipants, conversations, messageFiles, messages } from '../src/db/schema.js'
import { newId, nowIso } from '../src/domain/clock.js'
import type { IncomingFile } from '../src/domain/files.js'
import { at, build, signUp, v1Error } from './helper.js'
import { multipartFiles, storedFiles } from './multipart.js'

const MB = 1024 * 1024
const PNG_HEAD = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')
const PDF_HEAD = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')
const ZIP_HEAD = Buffer.from('PK\x03\x04', 'latin1')

/** `size` bytes: `head`, then `fill` repeated, streamed in 1 MiB chunks. */
function* bytes(head: Buffer, size: number, fill: Buffer = Buffer.alloc(1)): Generator<Buffer> {
  const block = Buffer.alloc(MB)
  for (let i = 0; i < MB; i++) block[i] = fill[i % fill.length]!
  let left = size
  const first = Buffer.concat([head, block]).subarray(0, Math.min(size, MB))
  yield first
  left -= first.length
  while (left > 0) {
    const n = Math.min(left, MB)
    yield n === MB ? block : block.subarray(0, n)
    left -= n
  }
}

/** A multipart/form-data request streaming one file. */
function multipart(auth: Record<string, string>, filename: string, content: Iterable<Buffer> | Buffer, field = 'file') {
  return multipartFiles(auth, [{ name: filename, bytes: content }], field)
}

t.test('uploads at and over each limit: at the limit is stored, one byte more is a 413 that leaves nothing behind', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'files-'))
  const app = await build(t, { dataDir })
  const acct = await signUp(app)
  const cases = [
    { name: 'photo.png', head: PNG_HEAD, limit: 10 * MB, kind: 'image', type: 'image/png' },
    { name: 'report.pdf', head: PDF_HEAD, limit: 50 * MB, kind: 'document', type: 'application/pdf' },
    { name: 'bundle.zip', head: ZIP_HEAD, limit: 50 * MB, kind: 'archive', type: 'application/zip' },
    { name: 'table.csv', head: Buffer.from('id,name\n'), limit: 100 * MB, kind: 'data', type: 'text/csv; charset=utf-8', fill: Buffer.from('1,ada\n') }
  ]
  for (const c of cases) {
    const over = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart(acct.auth, c.name, bytes(c.head, c.limit + 1, c.fill)) })
    t.equal(over.statusCode, 413, `${c.name}: ${c.limit + 1} bytes is too large`)
    t.equal(v1Error(over).error_code, 'FILE_TOO_LARGE')
    t.same(
      storedFiles(dataDir).filter((f) => f.startsWith('tmp/')),
      [],
      'no temporary file is left'
    )

    const at = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart(acct.auth, c.name, bytes(c.head, c.limit, c.fill)) })
    t.equal(at.statusCode, 201, `${c.name}: exactly ${c.limit} bytes is accepted`)
    t.match(at.json(), { filename: c.name, size: c.limit, kind: c.kind, content_type: c.type, userid: acct.id, chat_id: null })
  }
  const blobs = storedFiles(dataDir)
  t.equal(blobs.length, 4, 'four blobs, nothing else')
  t.ok(
    blobs.every((b) => /^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(b)),
    'stored by content hash'
  )
})

t.test('the type comes from the bytes as well as the name', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'files-'))
  const app = await build(t, { dataDir })
  const acct = await signUp(app)
  const png = Buffer.concat([PNG_HEAD, Buffer.alloc(100)])
  const refused: [string, Buffer][] = [
    ['holiday.pdf', png], // PNG bytes named as a PDF
    ['invoice.png', Buffer.concat([PDF_HEAD, Buffer.alloc(100)])],
    ['notes.txt', Buffer.concat([Buffer.from('7f454c46', 'hex'), Buffer.alloc(200)])], // an executable
    ['data.json', Buffer.from('hello, I am not JSON')],
    ['doc.docx', Buffer.from('plain text pretending')],
    ['movie.mp4', Buffer.alloc(100)], // not an accepted kind
    ['setup.exe', Buffer.from('MZ')],
    ['noextension', Buffer.from('text')]
  ]
  for (const [name, content] of refused) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart(acct.auth, name, content) })
    t.equal(res.statusCode, 415, `${name} is refused`)
    t.equal(v1Error(res).error_code, 'UNSUPPORTED_FILE_TYPE')
  }
  t.same(
    storedFiles(dataDir).filter((f) => !f.startsWith('tmp/')),
    [],
    'nothing was stored'
  )

  const accepted: [string, Buffer, string][] = [
    ['pic.PNG', png, 'image/png'],
    ['data.json', Buffer.from(' {"a": [1, 2]}'), 'application/json'],
    ['feed.xml', Buffer.from('<?xml version="1.0"?><a/>'), 'application/xml'],
    ['readme.txt', Buffer.from('héllo wörld\n'), 'text/plain; charset=utf-8'],
    ['old.doc', Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(600)]), 'application/msword'],
    ['archive.rar', Buffer.concat([Buffer.from('526172211a0700', 'hex'), Buffer.alloc(100)]), 'application/vnd.rar']
  ]
  for (const [name, content, type] of accepted) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart(acct.auth, name, content) })
    t.equal(res.statusCode, 201, `${name} is accepted`)
    t.equal(res.json().content_type, type)
  }

  const notMultipart = await app.inject({ method: 'POST', url: '/api/v1/files/upload', headers: acct.auth, payload: { file: 'x' } })
  t.equal(notMultipart.statusCode, 400)
  const wrongField = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart(acct.auth, 'a.txt', Buffer.from('x'), 'upload') })
  t.equal(wrongField.statusCode, 422)
  const anon = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart({}, 'a.txt', Buffer.from('x')) })
  t.equal(anon.statusCode, 401)
})

t.test('downloads are for the owner only; equal bytes are stored once; delete is idempotent', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'files-'))
  const app = await build(t, { dataDir })
  const alice = await signUp(app)
  const bob = await signUp(app)
  const content = Buffer.from('id,name\n1,Ada\n2,Grace\n')
  const up = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart(alice.auth, 'Ünïcode list.csv', content) })
  t.equal(up.statusCode, 201)
  const file = up.json()

  const down = await app.inject({ method: 'GET', url: `/api/v1/files/${file.fileid}`, headers: alice.auth })
  t.equal(down.statusCode, 200)
  t.same(down.rawPayload, content)
  t.equal(down.headers['content-type'], 'text/csv; charset=utf-8')
  t.equal(down.headers['content-length'], String(content.length))
  t.equal(down.headers['content-disposition'], `attachment; filename="_n_code list.csv"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20list.csv`)
  t.equal(down.headers['x-content-type-options'], 'nosniff')

  const stolen = await app.inject({ method: 'GET', url: `/api/v1/files/${file.fileid}`, headers: bob.auth })
  t.equal(stolen.statusCode, 404, "another user's download is a 404")
  t.equal(v1Error(stolen).error_code, 'FILE_NOT_FOUND')
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${newId()}`, headers: alice.auth })).statusCode, 404)

  const same = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart(bob.auth, 'copy.csv', content) })
  t.equal(same.statusCode, 201)
  t.not(same.json().fileid, file.fileid)
  t.equal(storedFiles(dataDir).length, 1, 'equal bytes are stored once')

  const bobDeletesAlices = await app.inject({ method: 'DELETE', url: `/api/v1/files/${file.fileid}`, headers: bob.auth })
  t.equal(bobDeletesAlices.statusCode, 204, 'idempotent, and tells nothing')
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${file.fileid}`, headers: alice.auth })).statusCode, 200, "but Alice's file stays")

  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/files/${file.fileid}`, headers: alice.auth })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/files/${file.fileid}`, headers: alice.auth })).statusCode, 204, 'twice is fine')
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${file.fileid}`, headers: alice.auth })).statusCode, 404)
  t.equal(storedFiles(dataDir).length, 1, "the blob stays while Bob's copy uses it")
  const bobs = await app.inject({ method: 'GET', url: `/api/v1/files/${same.json().fileid}`, headers: bob.auth })
  t.same(bobs.rawPayload, content)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/files/${same.json().fileid}`, headers: bob.auth })).statusCode, 204)
  t.same(storedFiles(dataDir), [], 'the last reference takes the blob with it')
})

t.test('downloads carry the content hash as a strong ETag; If-None-Match gets a 304 with no body', async (t) => {
  const app = await build(t, { dataDir: mkdtempSync(join(tmpdir(), 'files-')) })
  const alice = await signUp(app)
  const bob = await signUp(app)
  const content = Buffer.from('id,name\n1,Ada\n')
  const etag = `"${createHash('sha256').update(content).digest('hex')}"`
  const file = (await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipart(alice.auth, 'list.csv', content) })).json()
  const chat = (
    await app.inject({ method: 'POST', url: '/api/v1/chat', headers: alice.auth, payload: { model_id: 'gpt-4', model_api_source: 'openai' } })
  ).json()
  const up = await app.inject({
    method: 'POST',
    url: `/api/v1/chat/${chat.chat_id}/upload`,
    ...multipartFiles(alice.auth, [{ name: 'same.csv', bytes: content }])
  })
  t.equal(up.statusCode, 201, up.body)

  for (const url of [`/api/v1/files/${file.fileid}`, `/api/v1/chat/${chat.chat_id}/files/${up.json()[0].fileid}`]) {
    const full = await app.inject({ method: 'GET', url, headers: alice.auth })
    t.equal(full.statusCode, 200)
    t.equal(full.headers.etag, etag, `${url}: the ETag is the SHA-256 of the bytes, quoted (strong)`)
    t.equal(full.headers['cache-control'], 'private, no-cache', 'kept by the caller only, and revalidated')

    const cached = await app.inject({ method: 'GET', url, headers: { ...alice.auth, 'if-none-match': etag } })
    t.equal(cached.statusCode, 304, 'the same ETag is a 304')
    t.equal(cached.rawPayload.length, 0, 'with no body')
    t.equal(cached.headers.etag, etag)
    t.notOk(cached.headers['content-disposition'], 'and no download headers')

    const listed = await app.inject({ method: 'GET', url, headers: { ...alice.auth, 'if-none-match': `"other", W/${etag}` } })
    t.equal(listed.statusCode, 304, 'a list naming it, weak or not, is a 304 too')
    const any = await app.inject({ method: 'GET', url, headers: { ...alice.auth, 'if-none-match': '*' } })
    t.equal(any.statusCode, 304, '`*` matches any current content')

    const stale = await app.inject({ method: 'GET', url, headers: { ...alice.auth, 'if-none-match': '"0000"' } })
    t.equal(stale.statusCode, 200, 'another ETag gets the bytes')
    t.same(stale.rawPayload, content)

    const stranger = await app.inject({ method: 'GET', url, headers: { ...bob.auth, 'if-none-match': etag } })
    t.equal(stranger.statusCode, 404, 'knowing the ETag gives no access: a stranger still gets 404')
  }
})

t.test('chat files: visible to who may see the chat, and released with it unless referenced elsewhere', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'files-'))
  const app = await build(t, { dataDir })
  const { files } = app.services
  const db = app.database.db
  const alice = await signUp(app)
  const bob = await signUp(app)
  const carol = await signUp(app)
  const pa = { userId: alice.id, role: 'user' as const, via: 'access_token' as const }
  const pb = { userId: bob.id, role: 'user' as const, via: 'access_token' as const }
  const pc = { userId: carol.id, role: 'user' as const, via: 'access_token' as const }
  const now = nowIso()
  const chat = newId()
  const other = newId()
  for (const id of [chat, other]) {
    db.insert(conversations).values({ id, creatorId: alice.id, createdAt: now, updatedAt: now }).run()
    db.insert(conversationParticipants).values({ conversationId: id, userId: alice.id, joinedAt: now }).run()
  }
  db.insert(conversationParticipants).values({ conversationId: chat, userId: bob.id, joinedAt: now }).run()

  async function* parts(...list: [string, string][]): AsyncGenerator<IncomingFile> {
    for (const [filename, text] of list) yield { filename, stream: Readable.from([Buffer.from(text)]) }
  }
  const stored = await files.uploadToConversation(pa, chat, parts(['a.txt', 'first'], ['b.txt', 'second']))
  t.equal(stored.length, 2)
  const a = at(stored, 0, 'stored file')
  const b = at(stored, 1, 'stored file')
  t.equal(a.conversation_id, chat)
  await t.rejects(files.uploadToConversation(pc, chat, parts(['c.txt', 'x'])), { code: 'CONVERSATION_NOT_FOUND' })
  await t.rejects(files.uploadToConversation(pb, chat, parts(['ok.txt', 'kept?'], ['bad.png', 'not a png'])), { code: 'UNSUPPORTED_FILE_TYPE' })
  t.equal(files.listForConversation(pb, chat, {}).total, 2, 'a refused part keeps none of its request')

  t.equal(files.get(pb, a.id).id, a.id, 'a participant reads the chat files')
  t.throws(() => files.get(pc, a.id), { code: 'FILE_NOT_FOUND' })
  t.throws(() => files.listForConversation(pc, chat, {}), { code: 'CONVERSATION_NOT_FOUND' })
  t.throws(() => files.deleteFromConversation(pb, chat, a.id), { code: 'FORBIDDEN' })

  // b.txt is attached to a message of another conversation: it outlives this chat.
  const msg = newId()
  db.insert(messages)
    .values({ id: msg, conversationId: other, seq: 1, senderId: alice.id, role: 'user', content: 'see file', createdAt: now, updatedAt: now })
    .run()
  t.same(files.attachmentsFor(pa, other, [b.id]), [{ type: 'file', file_id: b.id, name: 'b.txt', content_type: 'text/plain; charset=utf-8', size: 6 }])
  t.throws(() => files.attachmentsFor(pc, other, [b.id]), { code: 'FILE_NOT_FOUND' })
  db.transaction((tx) => files.linkToMessage(tx, msg, [b.id]))
  t.equal(db.select().from(messageFiles).all().length, 1)

  t.equal(storedFiles(dataDir).length, 2)
  const shas = db.transaction((tx) => {
    const s = files.releaseConversation(tx, chat)
    tx.delete(conversations).where(eq(conversations.id, chat)).run()
    return s
  })
  files.sweep(shas)
  t.equal(storedFiles(dataDir).length, 1, 'the blob only this chat used is gone')
  const kept = files.get(pa, b.id)
  t.equal(kept.conversation_id, null, 'the file referenced elsewhere stays')
  t.throws(() => files.get(pa, a.id), { code: 'FILE_NOT_FOUND' })
})
