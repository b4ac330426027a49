import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

/** The Prometheus endpoint. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/metrics',
    {
      config: { auth: 'none', rateLimitClass: 'none' },
      schema: {
        operationId: 'getMetrics',
        tags: ['metrics'],
        summary: 'Prometheus metrics',
        description:
          'The Prometheus text exposition format (0.0.4): HTTP requests and latency by route and status, WebSocket ' +
          'connections and frames, messages, assistant replies and their latency, webhook deliveries by outcome, ' +
          'event-loop lag and process metrics.',
        response: {
          200: {
            description: 'Metrics in the Prometheus text format',
            content: { 'text/plain': { schema: Type.String() } }
          }
        }
      }
    },
    async (_request, reply) => {
      const body = await app.metrics.registry.metrics()
      return reply.type(app.metrics.registry.contentType).send(body)
    }
  )
}

export default routes
