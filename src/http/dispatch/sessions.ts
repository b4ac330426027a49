import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { AuthKeyQuery } from '../../../schemas/dispatch/common.js'
import { CreateSessionRequest, ListSessionsQuery, Session, SessionIdParams, SessionList, StopSessionRequest } from '../../../schemas/dispatch/sessions.js'
import type { TerminalManager } from '../../terminal/manager.js'
import { dispatchErrors } from './errors.js'
import { pagination, presentSession } from './presenters.js'

const tags = ['sessions']

const routes: FastifyPluginAsyncTypebox<{ terminals: TerminalManager }> = async (app, { terminals }) => {
  const { dispatch } = app.services

  app.post(
    '/',
    {
      config: { location: (session: { id: string }) => `/api/sessions/${encodeURIComponent(session.id)}` },
      schema: {
        operationId: 'createSession',
        tags,
        summary: 'Start a session in a workspace',
        description:
          'A `pty` session is a shell on the server, in the workspace folder (created when missing). A `claude` session is a conversation ' +
          'with the assistant in that workspace: each line typed is a message, the replies are its output. Attach over Socket.IO ' +
          '(namespace `/dispatch`, `session.attach`) to read and type. At most `DISPATCH_MAX_SESSIONS` sessions are active at once (409).',
        body: ref(CreateSessionRequest),
        response: { 201: ref(Session, 'The session, running'), ...dispatchErrors(400, 404, 409, 502) }
      }
    },
    async (request, reply) => {
      const { type, workspacePath, cols = 80, rows = 24 } = request.body
      return reply.code(201).send(presentSession(await terminals.start({ type, workspacePath, cols, rows })))
    }
  )

  app.get(
    '/',
    {
      schema: {
        operationId: 'listSessions',
        tags,
        summary: 'List sessions, newest first',
        description: 'Filter by `workspacePath`, `status` and `type`; `limit` and `offset` page.',
        querystring: ListSessionsQuery,
        response: { 200: ref(SessionList, 'A page of sessions'), ...dispatchErrors(404) }
      }
    },
    async (request) => {
      const slice = dispatch.listSessions(request.query)
      return { sessions: slice.items.map(presentSession), pagination: pagination(slice) }
    }
  )

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getSession',
        tags,
        summary: 'Get a session',
        description: 'One session by id: its type, status, workspace, terminal size and, for a shell, its process.',
        params: SessionIdParams,
        querystring: AuthKeyQuery,
        response: { 200: ref(Session, 'The session'), ...dispatchErrors(404) }
      }
    },
    async (request) => presentSession(dispatch.getSession(request.params.id))
  )

  const stopSchema = {
    tags,
    params: SessionIdParams,
    querystring: AuthKeyQuery,
    response: { 200: ref(Session, 'The session, ended'), ...dispatchErrors(404) }
  }
  const stopDescription =
    'Ends the session: its shell is hung up (and killed if it lingers) and gone when this answers. Stopping an ended session returns it as it is.'

  app.delete('/:id', { schema: { ...stopSchema, operationId: 'deleteSession', summary: 'Stop a session', description: stopDescription } }, async (request) =>
    presentSession(await terminals.stop(request.params.id))
  )

  app.post(
    '/:id/stop',
    {
      schema: {
        ...stopSchema,
        operationId: 'stopSession',
        summary: 'Stop a session',
        description: `${stopDescription} The same as \`DELETE /api/sessions/{id}\`. The body (with \`authKey\`) is optional.`,
        body: ref(StopSessionRequest)
      },
      // No body is an empty one.
      preValidation: async (request) => {
        request.body ??= {}
      }
    },
    async (request) => presentSession(await terminals.stop(request.params.id))
  )
}

export default routes
