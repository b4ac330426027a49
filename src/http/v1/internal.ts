import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { InternalHealth } from '../../../schemas/health.js'

/** Document 004's internal endpoints, for monitors. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { health } = app.services

  app.get(
    '/health',
    {
      schema: {
        operationId: 'getInternalHealth',
        tags: ['health'],
        summary: 'Health check for monitoring',
        response: { 200: ref(InternalHealth, 'Healthy'), 503: ref(InternalHealth, 'Unhealthy') }
      }
    },
    async (_request, reply) => {
      const db = health.database()
      return reply.code(db.status === 'ok' ? 200 : 503).send({
        status: db.status === 'ok' ? 'healthy' : 'unhealthy',
        database: db.status,
        version: health.version,
        uptime_seconds: health.uptimeSeconds()
      })
    }
  )
}

export default routes
