import type { FastifyInstance } from 'fastify'
import { DISPATCH_ERROR_DESCRIPTIONS, DispatchError, Pagination } from '../../../schemas/dispatch/common.js'
import { SessionAttach, SessionDetach, SessionInput, SessionOutput, SessionResize } from '../../../schemas/dispatch/realtime.js'
import { CreateSessionRequest, Session, SessionList, SessionStatus, SessionType, StopSessionRequest } from '../../../schemas/dispatch/sessions.js'
import {
  ActiveSession,
  CreateWorkspaceRequest,
  UpdateWorkspaceRequest,
  Workspace,
  WorkspaceDeleted,
  WorkspaceDetail,
  WorkspaceList,
  WorkspaceStatus,
  WorkspaceUpdated
} from '../../../schemas/dispatch/workspaces.js'
import type { DomainError } from '../../domain/errors.js'
import { assistantStarter } from '../../terminal/assistant.js'
import { TerminalManager } from '../../terminal/manager.js'
import type { Surface } from '../surface.js'
import { checkBodyKey, terminalKeyAuth } from './auth.js'
import { dispatchErrorBody } from './errors.js'
import { dispatchNamespace } from './realtime.js'
import sessions from './sessions.js'
import workspaces from './workspaces.js'

const STATUS: Partial<Record<DomainError['code'], number>> = {
  VALIDATION_ERROR: 400,
  WORKSPACE_HAS_RUNNING_SESSIONS: 422
}

/**
 * dispatch: workspaces on disk and terminal sessions in them, for coding agents and their web
 * terminals. Callers hold the server's `TERMINAL_KEY`; a workspace's id is its path. A `pty`
 * session is a real shell on this server, so the key is as good as a login to it.
 */
export const dispatch: Surface = {
  name: 'dispatch',
  prefixes: ['/api/workspaces', '/api/sessions'],
  errorBody: dispatchErrorBody,
  errorSchema: DispatchError,
  errorDescriptions: DISPATCH_ERROR_DESCRIPTIONS,
  statusOf: (error) => STATUS[error.code],
  validationStatus: 400,
  auth: terminalKeyAuth,
  schemas: [
    DispatchError,
    Pagination,
    WorkspaceStatus,
    SessionType,
    SessionStatus,
    Workspace,
    ActiveSession,
    WorkspaceDetail,
    WorkspaceList,
    CreateWorkspaceRequest,
    UpdateWorkspaceRequest,
    WorkspaceUpdated,
    WorkspaceDeleted,
    Session,
    SessionList,
    CreateSessionRequest,
    StopSessionRequest,
    SessionAttach,
    SessionDetach,
    SessionInput,
    SessionResize,
    SessionOutput
  ],
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Dispatch API',
      version: '0.0.0',
      description:
        'Workspaces (folders under the workspace root, addressed by their URL-encoded path) and the sessions run in them: shells on the ' +
        "server (`pty`) and assistant conversations (`claude`). Every call needs the server's `TERMINAL_KEY` as `?authKey=`, " +
        '`Authorization: Bearer` or `authKey` in the body. Errors have the shape `{ "message": "..." }`. Real-time: Socket.IO at ' +
        '`/socket.io`, namespace `/dispatch`, `auth: { authKey }`; the messages are the `Session*` components.'
    },
    tags: [
      { name: 'workspaces', description: 'Workspaces and their session counts' },
      { name: 'sessions', description: 'Shell and assistant sessions in workspaces' }
    ]
  },
  async routes(app: FastifyInstance) {
    const terminals = new TerminalManager({
      dispatch: app.services.dispatch,
      shell: app.config.dispatchShell,
      startAssistant: assistantStarter({ dispatch: app.services.dispatch, conversations: app.services.conversations, events: app.services.events }),
      log: app.log
    })
    // Sessions a previous run left behind have no process now; sessions end before the server does.
    app.addHook('onReady', async () => {
      app.services.dispatch.endInterrupted()
    })
    app.addHook('preClose', async () => terminals.close())
    app.addHook('preValidation', checkBodyKey)
    dispatchNamespace(app, terminals)
    await app.register(workspaces, { prefix: '/api/workspaces' })
    await app.register(sessions, { prefix: '/api/sessions', terminals })
  }
}
