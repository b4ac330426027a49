import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { DetailedHealth, Health } from '../../../schemas/health.js'

const tags = ['health']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { health } = app.services

  app.get(
    '/',
    {
      config: { auth: 'none', rateLimitClass: 'none' },
      schema: {
        operationId: 'getHealth',
        tags,
        summary: 'Basic health check',
        description:
          'Answers while the process serves requests, and checks nothing else (see `GET /api/v1/health/detailed`). Needs no credential and is never rate limited.',
        response: { 200: ref(Health, 'The service is up') }
      }
    },
    async () => ({ status: 'ok' as const, timestamp: new Date().toISOString() })
  )

  app.get(
    '/detailed',
    {
      config: { auth: 'none', rateLimitClass: 'none' },
      schema: {
        operationId: 'getDetailedHealth',
        tags,
        summary: 'Health of each component, uptime and version',
        description: 'Each component (the database first) with its status; 503 when one of them fails. Needs no credential and is never rate limited.',
        response: { 200: ref(DetailedHealth, 'Every component is healthy'), 503: ref(DetailedHealth, 'A component is failing') }
      }
    },
    async (_request, reply) => {
      const r = health.report()
      return reply.code(r.healthy ? 200 : 503).send({
        status: r.healthy ? 'ok' : 'degraded',
        version: r.version,
        uptime_seconds: r.uptime_seconds,
        timestamp: new Date().toISOString(),
        components: r.components
      })
    }
  )
}

export default routes
