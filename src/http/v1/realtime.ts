import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors, ref } from '../../../schemas/common.js'
import { WsTicket } from '../../../schemas/frames.js'
import type { Principal } from '../../domain/principal.js'
import { bearerToken, principalOf } from '../auth.js'

/** `/ws`: v1's WebSocket stream, and the tickets browsers use to open it. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth, wsTickets } = app.services

  app.post(
    '/api/v1/ws/ticket',
    {
      // Where the ticket is used: it opens /ws once.
      config: { location: (t: { ticket: string }) => `/ws?ticket=${encodeURIComponent(t.ticket)}` },
      schema: {
        operationId: 'createWebSocketTicket',
        tags: ['realtime'],
        summary: 'Get a single-use ticket to open /ws from a browser',
        description: 'Browsers cannot set headers on a WebSocket: open `/ws?ticket=<ticket>` within `expires_in` seconds.',
        response: { 201: ref(WsTicket, 'A ticket'), ...errors(401) }
      }
    },
    async (request, reply) => reply.code(201).send(wsTickets.issue(principalOf(request)))
  )

  app.get(
    '/ws',
    {
      websocket: true,
      preValidation: async (request) => {
        // Header first, then a ticket; with neither, the client has a few seconds for an `auth` frame.
        const token = bearerToken(request)
        let principal: Principal | null = null
        if (token) principal = auth.authenticate(token)
        else if (request.query.ticket) {
          const { userId, ...issuedUnder } = wsTickets.redeem(request.query.ticket)
          principal = auth.principalForUser(userId, 'ws_ticket', issuedUnder)
        }
        request.principal = principal
      },
      config: { auth: 'none' },
      schema: {
        operationId: 'connectWebSocket',
        tags: ['realtime'],
        summary: 'Open the real-time stream (WebSocket)',
        description:
          'Upgrade to a WebSocket. Authenticate with `Authorization: Bearer …`, with `?ticket=` from ' +
          '`POST /api/v1/ws/ticket`, or with a first `{"type":"auth","token":…}` frame within 5 seconds ' +
          '(else the socket closes with 4401). Frames are described in `openapi/asyncapi.json`.',
        // @fastify/websocket hides WebSocket routes from OpenAPI; `openapi/asyncapi.json` documents /ws.
        querystring: Type.Object({ ticket: Type.Optional(Type.String({ maxLength: 200 })) })
      }
    },
    (socket, request) => {
      releaseUpgradeResponse(request.raw)
      // The router's error listener on every socket closes over this request and its reply; the
      // hub's own listener logs a socket's error and ends it without holding either.
      socket.removeAllListeners('error')
      app.hub.accept(socket, request.principal)
    }
  )
}

/**
 * Lets go of the HTTP response an upgrade was routed with. The router attaches one to the socket,
 * and it would otherwise keep the request, its reply, logger and headers alive (several KiB) for
 * as long as the WebSocket stays open, while the socket no longer speaks HTTP after the 101.
 * The upgrade is then not timed as an HTTP request when the socket closes; sockets are counted by
 * the hub's own metrics.
 */
function releaseUpgradeResponse(req: IncomingMessage): void {
  const socket = req.socket as Socket & { _httpMessage?: ServerResponse | null }
  socket._httpMessage?.detachSocket(socket)
}

export default routes
