import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { build, signUp, v1Error } from './helper.js'
import { multipartFiles, storedFiles } from './multipart.js'

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'), Buffer.alloc(64)])
const PDF = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1')

function blobCount(dataDir: string): number {
  return storedFiles(dataDir).length
}

t.test('chat files: upload several, list, download, delete; strangers get 404', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatfiles-'))
  const app = await build(t, { dataDir })
  const ada = await signUp(app)
  const eve = await signUp(app)
  const chat = (await app.inject({ method: 'POST', url: '/api/v1/chat', headers: ada.auth, payload: { model_id: 'gpt-4', model_api_source: 'openai' } })).json()

  const up = await app.inject({
    method: 'POST',
    url: `/api/v1/chat/${chat.chat_id}/upload`,
    ...multipartFiles(ada.auth, [
      { name: 'pic.png', bytes: PNG },
      { name: 'doc.pdf', bytes: PDF }
    ])
  })
  t.equal(up.statusCode, 201, up.body)
  const stored = up.json()
  t.equal(stored.length, 2)
  t.match(stored[0], { filename: 'pic.png', content_type: 'image/png', size: PNG.length, userid: ada.id, chat_id: chat.chat_id })
  t.match(stored[1], { filename: 'doc.pdf', content_type: 'application/pdf' })

  const list = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}/files`, headers: ada.auth })
  t.equal(list.json().total, 2)
  const got = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}`, headers: ada.auth })
  t.equal(got.json().files.length, 2, 'the chat lists its files')

  const dl = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}/files/${stored[0].fileid}`, headers: ada.auth })
  t.equal(dl.statusCode, 200)
  t.equal(dl.headers['content-type'], 'image/png')
  t.match(dl.headers['content-disposition'], /attachment; filename="pic.png"/)
  t.same(dl.rawPayload, PNG)

  for (const req of [
    { method: 'GET' as const, url: `/api/v1/chat/${chat.chat_id}/files` },
    { method: 'GET' as const, url: `/api/v1/chat/${chat.chat_id}/files/${stored[0].fileid}` },
    { method: 'DELETE' as const, url: `/api/v1/chat/${chat.chat_id}/files/${stored[0].fileid}` },
    { method: 'GET' as const, url: `/api/v1/files/${stored[0].fileid}` }
  ]) {
    const res = await app.inject({ ...req, headers: eve.auth })
    t.equal(res.statusCode, 404, `stranger: ${req.method} ${req.url}`)
  }
  const eveUp = await app.inject({ method: 'POST', url: `/api/v1/chat/${chat.chat_id}/upload`, ...multipartFiles(eve.auth, [{ name: 'x.png', bytes: PNG }]) })
  t.equal(eveUp.statusCode, 404)
  t.equal(v1Error(eveUp).error_code, 'CHAT_NOT_FOUND')

  const del = await app.inject({ method: 'DELETE', url: `/api/v1/chat/${chat.chat_id}/files/${stored[1].fileid}`, headers: ada.auth })
  t.equal(del.statusCode, 204)
  const again = await app.inject({ method: 'DELETE', url: `/api/v1/chat/${chat.chat_id}/files/${stored[1].fileid}`, headers: ada.auth })
  t.equal(again.statusCode, 204, 'deleting twice is fine')
  const gone = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}/files/${stored[1].fileid}`, headers: ada.auth })
  t.equal(gone.statusCode, 404)

  const lying = await app.inject({
    method: 'POST',
    url: `/api/v1/chat/${chat.chat_id}/upload`,
    ...multipartFiles(ada.auth, [
      { name: 'ok.png', bytes: PNG },
      { name: 'fake.pdf', bytes: PNG }
    ])
  })
  t.equal(lying.statusCode, 415, 'a name that lies about the bytes is refused')
  const after = await app.inject({ method: 'GET', url: `/api/v1/chat/${chat.chat_id}/files`, headers: ada.auth })
  t.equal(after.json().total, 1, 'a refused request keeps none of its files')

  const wrongField = await app.inject({
    method: 'POST',
    url: `/api/v1/chat/${chat.chat_id}/upload`,
    ...multipartFiles(ada.auth, [{ name: 'a.png', bytes: PNG }], 'file')
  })
  t.equal(wrongField.statusCode, 422)
  const notMultipart = await app.inject({ method: 'POST', url: `/api/v1/chat/${chat.chat_id}/upload`, headers: ada.auth, payload: { files: [] } })
  t.equal(notMultipart.statusCode, 400)
})

t.test('files attach to messages, are readable by participants, and go with their conversation', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatfiles-'))
  const app = await build(t, { dataDir })
  const ada = await signUp(app)
  const bob = await signUp(app)
  const eve = await signUp(app)
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [bob.id] } })).json()

  const up = await app.inject({ method: 'POST', url: `/api/v1/chat/${conv.id}/upload`, ...multipartFiles(ada.auth, [{ name: 'pic.png', bytes: PNG }]) })
  const file = up.json()[0]
  const msg = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${conv.id}/messages`,
    headers: ada.auth,
    payload: { content: 'see attached', attachments: [{ type: 'file', file_id: file.fileid }] }
  })
  t.equal(msg.statusCode, 201)
  t.same(msg.json().attachments, [{ type: 'file', file_id: file.fileid, name: 'pic.png', content_type: 'image/png', size: PNG.length }])
  const chatMsgs = await app.inject({ method: 'GET', url: `/api/v1/chat/${conv.id}/messages`, headers: bob.auth })
  t.same(chatMsgs.json().items[0].files, [file.fileid], 'a chat message lists its file ids')

  const bobReads = await app.inject({ method: 'GET', url: `/api/v1/files/${file.fileid}`, headers: bob.auth })
  t.equal(bobReads.statusCode, 200, 'a participant reads the attached file')
  const eveReads = await app.inject({ method: 'GET', url: `/api/v1/files/${file.fileid}`, headers: eve.auth })
  t.equal(eveReads.statusCode, 404)

  // Eve cannot attach a file she cannot see.
  const eveConv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: eve.auth, payload: {} })).json()
  const steal = await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${eveConv.id}/messages`,
    headers: eve.auth,
    payload: { content: 'mine now', attachments: [{ type: 'file', file_id: file.fileid }] }
  })
  t.equal(steal.statusCode, 404)
  t.equal(v1Error(steal).error_code, 'FILE_NOT_FOUND')

  // A second conversation references the same file: it survives the first conversation's deletion.
  const other = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: {} })).json()
  await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${other.id}/messages`,
    headers: ada.auth,
    payload: { content: 'again', attachments: [{ type: 'file', file_id: file.fileid }] }
  })
  const lonely = await app.inject({ method: 'POST', url: `/api/v1/chat/${conv.id}/upload`, ...multipartFiles(ada.auth, [{ name: 'doc.pdf', bytes: PDF }]) })
  t.equal(lonely.statusCode, 201)
  t.equal(blobCount(dataDir), 2)

  const del = await app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.id}`, headers: ada.auth })
  t.equal(del.statusCode, 204)
  t.equal(blobCount(dataDir), 1, 'the unreferenced file went with its conversation; the shared one stayed')
  const stillThere = await app.inject({ method: 'GET', url: `/api/v1/files/${file.fileid}`, headers: ada.auth })
  t.equal(stillThere.statusCode, 200)
  const lonelyGone = await app.inject({ method: 'GET', url: `/api/v1/files/${lonely.json()[0].fileid}`, headers: ada.auth })
  t.equal(lonelyGone.statusCode, 404)
})

t.test('deleting a workspace or a user takes their conversations and files along, and says so', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatfiles-'))
  const app = await build(t, { dataDir })
  const admin = await signUp(app)
  const ada = await signUp(app)
  const bob = await signUp(app)
  const { connect } = await import('./ws-helper.js')

  const ws = (await app.inject({ method: 'POST', url: '/api/v1/workspaces', headers: ada.auth, payload: { name: 'Team' } })).json()
  const conv = (
    await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { workspace_id: ws.id, participant_ids: [bob.id] } })
  ).json()
  const up = await app.inject({ method: 'POST', url: `/api/v1/chat/${conv.id}/upload`, ...multipartFiles(ada.auth, [{ name: 'pic.png', bytes: PNG }]) })
  t.equal(up.statusCode, 201)
  t.equal(blobCount(dataDir), 1)

  const watcher = await connect(app, { token: bob.token })
  t.teardown(() => watcher.close())
  watcher.send({ type: 'subscribe', conversation_id: conv.id })
  await watcher.type('subscribed')

  const del = await app.inject({ method: 'DELETE', url: `/api/v1/workspaces/${ws.id}`, headers: ada.auth })
  t.equal(del.statusCode, 204)
  t.match(await watcher.type('conversation_update'), { conversation_id: conv.id, action: 'deleted' }, 'watchers hear the conversation went')
  t.equal(blobCount(dataDir), 0, 'its files went with it')

  // A user's own uploads and the conversations they created go when an admin deletes them.
  const own = await app.inject({ method: 'POST', url: '/api/v1/files/upload', ...multipartFiles(bob.auth, [{ name: 'doc.pdf', bytes: PDF }], 'file') })
  t.equal(own.statusCode, 201, own.body)
  const bobConv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: bob.auth, payload: { participant_ids: [ada.id] } })).json()
  await app.inject({ method: 'POST', url: `/api/v1/chat/${bobConv.id}/upload`, ...multipartFiles(bob.auth, [{ name: 'pic.png', bytes: PNG }]) })
  t.equal(blobCount(dataDir), 2)
  const gone = await app.inject({ method: 'DELETE', url: `/api/v1/users/${bob.id}`, headers: admin.auth })
  t.equal(gone.statusCode, 204)
  t.equal(blobCount(dataDir), 0, "the user's files are gone from disk too")
  // The conversation Ada took part in stays, with its creator shown as deleted.
  const adaList = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: ada.auth })
  t.equal(adaList.json().total, 1)
  t.equal(adaList.json().items[0].creator_id, null)
})
