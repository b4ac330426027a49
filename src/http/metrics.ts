import fp from 'fastify-plugin'
import { createMetrics, type Metrics } from '../metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/**
 * Decorates the app with its metrics, times every request (labelled by route pattern, never the
 * raw URL, so ids do not explode the label set) and counts messages from the event bus.
 */
export default fp(
  async (app) => {
    const metrics = createMetrics()
    app.decorate('metrics', metrics)

    app.addHook('onResponse', async (request, reply) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode)
      }
      metrics.httpRequests.inc(labels)
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000)
    })

    app.hub.setObserver({
      connectionOpened: () => metrics.wsConnections.inc(),
      connectionClosed: () => metrics.wsConnections.dec(),
      frame: (direction, type, count) => metrics.wsFrames.inc({ direction, type }, count)
    })

    app.services.replies.setObserver({
      replyFinished: (outcome, seconds) => {
        metrics.assistantReplies.inc({ outcome })
        metrics.assistantReplyLatency.observe(seconds)
      }
    })

    const unsubscribe = app.services.events.subscribe((event) => {
      if (event.type === 'message.created') metrics.messagesCreated.inc({ role: event.message.role })
    })
    app.addHook('onClose', async () => {
      unsubscribe()
      metrics.registry.clear()
    })
  },
  { name: 'metrics', dependencies: ['services'] }
)
