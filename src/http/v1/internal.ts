import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { InternalHealth } from '../../../schemas/health.js'

/** Internal endpoints, for monitors. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { health } = app.services

  app.get(
    '/health',
    {
      config: { auth: 'none', rateLimitClass: 'none' },
      schema: {
        operationId: 'getInternalHealth',
        tags: ['health'],
        summary: 'Health check for monitoring',
        description: 'For monitors and orchestrators: 200 while the database answers, 503 when it does not. Needs no credential and is never rate limited.',
        response: { 200: ref(InternalHealth, 'Healthy'), 503: ref(InternalHealth, 'Unhealthy') }
      }
    },
    async (_request, reply) => {
      const r = health.report()
      return reply.code(r.healthy ? 200 : 503).send({
        status: r.healthy ? 'healthy' : 'unhealthy',
        database: r.components.database.status,
        version: r.version,
        uptime_seconds: r.uptime_seconds
      })
    }
  )
}

export default routes
