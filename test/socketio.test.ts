import { io as connectIo, type Socket } from 'socket.io-client'
import t from 'tap'
import { build, signUp } from './helper.js'
import { connect, listen } from './ws-helper.js'

function once<T>(socket: Socket, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event}`)), 5000)
    socket.once(event, (value: T) => {
      clearTimeout(timer)
      resolve(value)
    })
  })
}

t.test('Socket.IO and /ws share one HTTP server: each gets its own upgrades', async (t) => {
  const app = await build(t)
  // A namespace made up here: a surface adds its own the same way.
  app.io.of('/probe').use((socket, next) => (socket.handshake.auth.pass === 'yes' ? next() : next(new Error('refused'))))
  app.io.of('/probe').on('connection', (socket) => {
    socket.emit('hello', 'probe')
    socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value))
  })
  const base = (await listen(app)).replace('ws://', 'http://')

  for (const transports of [['websocket'], ['polling', 'websocket']]) {
    const socket = connectIo(`${base}/probe`, { transports, auth: { pass: 'yes' }, reconnection: false })
    t.teardown(() => socket.close())
    t.equal(await once(socket, 'hello'), 'probe', `connected over ${transports.join(' then ')}`)
    t.same(await socket.timeout(5000).emitWithAck('echo', { n: 1 }), { n: 1 })
    socket.close()
  }

  const refused = connectIo(`${base}/probe`, { transports: ['websocket'], auth: { pass: 'no' }, reconnection: false })
  t.teardown(() => refused.close())
  const error = await once<Error>(refused, 'connect_error')
  t.equal(error.message, 'refused', 'a refused handshake is a connect_error')

  // /ws still upgrades through Fastify beside it.
  const ada = await signUp(app)
  const ws = await connect(app, { token: ada.token })
  t.teardown(() => ws.close())
  ws.send({ type: 'ping', request_id: 'p1' })
  t.equal((await ws.type('pong')).request_id, 'p1')
})
