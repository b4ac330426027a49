import fp from 'fastify-plugin'
import { type DispatcherOptions, WebhookDispatcher } from './dispatcher.js'

declare module 'fastify' {
  interface FastifyInstance {
    webhookDispatcher: WebhookDispatcher
  }
}

/** Runs the webhook dispatcher while the app is up: started when ready, stopped (and drained) on close. */
export default fp<{ dispatcher?: Partial<DispatcherOptions> }>(
  async (app, opts) => {
    const dispatcher = new WebhookDispatcher(
      app.database.db,
      { allowPrivate: app.config.webhookAllowPrivate, ...opts.dispatcher },
      {
        onAttempt: (outcome) => app.metrics.webhookDeliveries.inc({ outcome }),
        onError: (err) => app.log.error({ err }, 'webhook dispatcher failed')
      }
    )
    app.decorate('webhookDispatcher', dispatcher)
    // Told after each commit that wrote deliveries (a unit of work's outbox rows, a test ping, a
    // redelivery): look for them now rather than at the next poll.
    const unlisten = app.services.webhooks.onEnqueue(() => dispatcher.nudge())
    app.addHook('onReady', async () => dispatcher.start())
    app.addHook('preClose', async () => {
      unlisten()
      await dispatcher.stop()
    })
  },
  { name: 'webhook-dispatcher', dependencies: ['services', 'metrics'] }
)
