import t from 'tap'
import WebSocket from 'ws'
import { build, signUp } from './helper.js'
import { connect, listen, WsClient } from './ws-helper.js'

t.test('sockets per user and subscriptions per socket are capped', async (t) => {
  const app = await build(t, { wsMaxSocketsPerUser: 3, wsMaxSubscriptions: 2 })
  const ada = await signUp(app)
  const bob = await signUp(app)
  const convs: string[] = []
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [] } })
    convs.push(res.json().id)
  }
  const open = [await connect(app, { token: ada.token }), await connect(app, { token: ada.token }), await connect(app, { token: ada.token })]
  t.teardown(() => {
    for (const c of open) c.close()
  })

  // The fourth socket of the same user is closed with 4429 and never gets `ready`.
  const fourth = new WsClient(new WebSocket(`${await listen(app)}/ws`, { headers: { authorization: `Bearer ${ada.token}` } }))
  const closed = await fourth.closed
  t.equal(closed.code, 4429, 'past the cap a socket is closed with 4429')
  t.notOk(fourth.frames.some((f) => f.type === 'ready'))
  // Another user is not affected; closing one of ada's sockets makes room again.
  const bobs = await connect(app, { token: bob.token })
  bobs.close()
  open[2]!.close()
  await open[2]!.closed
  open[2] = await connect(app, { token: ada.token })
  t.pass('a socket fits again once one closed')

  const c = open[0]!
  c.send({ type: 'subscribe', conversation_id: convs[0] })
  await c.type('subscribed')
  c.send({ type: 'subscribe', conversation_id: convs[1] })
  await c.type('subscribed')
  c.send({ type: 'subscribe', conversation_id: convs[1], request_id: 'again' })
  t.match(await c.type('subscribed'), { request_id: 'again' }, 'resubscribing to a followed conversation is not counted twice')
  c.send({ type: 'subscribe', conversation_id: convs[2], request_id: 'third' })
  t.match(await c.type('error'), { code: 'TOO_MANY_SUBSCRIPTIONS', request_id: 'third', conversation_id: convs[2] })
  c.send({ type: 'unsubscribe', conversation_id: convs[0] })
  await c.type('unsubscribed')
  c.send({ type: 'subscribe', conversation_id: convs[2] })
  t.match(await c.type('subscribed'), { conversation_id: convs[2] }, 'after an unsubscribe there is room again')
})

t.test('a slow reader that is dropped sees close code 4408', async (t) => {
  const app = await build(t)
  app.hub['opts'].maxBufferedBytes = 64 * 1024
  const ada = await signUp(app)
  const conv = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.auth, payload: { participant_ids: [] } })).json()
  const slow = await connect(app, { token: ada.token })
  t.teardown(() => slow.close())
  slow.send({ type: 'subscribe', conversation_id: conv.id })
  await slow.type('subscribed')
  // The client stops reading from its socket until the server has given up on it.
  const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
  socket.pause()
  const big = 'x'.repeat(30000)
  for (let i = 0; i < 200 && app.hub.size > 0; i++) {
    await app.inject({ method: 'POST', url: `/api/v1/conversations/${conv.id}/messages`, headers: ada.auth, payload: { content: `${i} ${big}` } })
  }
  t.equal(app.hub.size, 0, 'the slow reader was dropped')
  socket.resume()
  const closed = await slow.closed
  t.equal(closed.code, 4408, 'it reads what was queued, then the 4408 close frame')
})
