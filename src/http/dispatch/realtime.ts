import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifyInstance } from 'fastify'
import { SessionAttach, SessionDetach, SessionInput, SessionResize } from '../../../schemas/dispatch/realtime.js'
import { isDomainError } from '../../domain/errors.js'
import type { DomainEvent } from '../../domain/events.js'
import type { TerminalManager } from '../../terminal/manager.js'
import { AUTH_REQUIRED, isTerminalKey } from './auth.js'
import { presentSession, presentWorkspace } from './presenters.js'

export const DISPATCH_NAMESPACE = '/dispatch'

type Ack = ((answer: unknown) => void) | undefined

const room = (sessionId: string) => `session:${sessionId}`

function checker<T extends TSchema>(schema: T) {
  const compiled = TypeCompiler.Compile(schema)
  return (value: unknown) => {
    if (compiled.Check(value)) return value
    const first = compiled.Errors(value).First()
    throw new Error(`Invalid message: ${first ? `${first.path || '/'} ${first.message}` : 'not an object'}`)
  }
}

const checkAttach = checker(SessionAttach)
const checkDetach = checker(SessionDetach)
const checkInput = checker(SessionInput)
const checkResize = checker(SessionResize)

/**
 * The `/dispatch` namespace of the shared Socket.IO server. A client authenticates with
 * `auth: { authKey }` (refused at the handshake otherwise), then hears every workspace and
 * session change: `workspace.updated` (with its session counts), `session.created`,
 * `session.updated`, `session.ended`. `session.attach {sessionId}` subscribes to a session's
 * terminal: its recent output first, then `session.output {sessionId, data}` as it comes;
 * `session.input` types into it and `session.resize` resizes it.
 */
export function dispatchNamespace(app: FastifyInstance, terminals: TerminalManager): void {
  const { dispatch, events } = app.services
  const nsp = app.io.of(DISPATCH_NAMESPACE)

  nsp.use((socket, next) => {
    const given = (socket.handshake.auth as Record<string, unknown> | undefined)?.authKey
    if (isTerminalKey(given, app.config.terminalKey)) return next()
    next(new Error(AUTH_REQUIRED))
  })

  nsp.on('connection', (socket) => {
    // Each message answers its acknowledgement (when the client asked for one) with `ok`, or with why not.
    const handle = (run: (payload: unknown) => Record<string, unknown> | undefined) => (payload: unknown, ack?: Ack) => {
      const respond = typeof ack === 'function' ? ack : undefined
      try {
        const result = run(payload)
        respond?.({ ok: true, ...result })
      } catch (err) {
        const message = isDomainError(err) || err instanceof Error ? err.message : 'Failed'
        if (!isDomainError(err) && !(err instanceof Error && err.message.startsWith('Invalid message')))
          app.log.error({ err }, 'dispatch socket message failed')
        if (respond) respond({ ok: false, message })
        else socket.emit('session.error', { message })
      }
    }

    socket.on(
      'session.attach',
      handle((payload) => {
        const { sessionId } = checkAttach(payload)
        const session = dispatch.getSession(sessionId)
        // Synchronously, so no output falls between the recent output and the live stream.
        const recent = terminals.scrollback(sessionId)
        if (recent) socket.emit('session.output', { sessionId, data: recent })
        socket.join(room(sessionId))
        return { session: presentSession(session) }
      })
    )
    socket.on(
      'session.detach',
      handle((payload) => {
        socket.leave(room(checkDetach(payload).sessionId))
        return undefined
      })
    )
    socket.on(
      'session.input',
      handle((payload) => {
        const { sessionId, data } = checkInput(payload)
        terminals.write(sessionId, data)
        return undefined
      })
    )
    socket.on(
      'session.resize',
      handle((payload) => {
        const { sessionId, cols, rows } = checkResize(payload)
        return { session: presentSession(terminals.resize(sessionId, cols, rows)) }
      })
    )
  })

  const stopOutput = terminals.onOutput((sessionId, data) => {
    nsp.to(room(sessionId)).emit('session.output', { sessionId, data })
  })

  const workspaceUpdated = (path: string | null) => {
    if (!path) return
    try {
      nsp.emit('workspace.updated', presentWorkspace(dispatch.workspaceAt(path)))
    } catch (err) {
      // Not a dispatch workspace (no path under the root), or gone since.
      if (!isDomainError(err)) throw err
    }
  }
  const names = { 'dispatch_session.created': 'session.created', 'dispatch_session.updated': 'session.updated', 'dispatch_session.ended': 'session.ended' }
  const stopEvents = events.subscribe((e: DomainEvent) => {
    switch (e.type) {
      case 'dispatch_session.created':
      case 'dispatch_session.updated':
      case 'dispatch_session.ended':
        nsp.emit(names[e.type], presentSession(e.session))
        return workspaceUpdated(e.session.workspace_path)
      case 'workspace.created':
      case 'workspace.updated':
        return workspaceUpdated(e.workspace.path)
      default:
        return
    }
  })

  app.addHook('onClose', async () => {
    stopOutput()
    stopEvents()
  })
}
