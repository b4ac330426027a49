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
    // Events are published after their transaction committed the outbox rows: look for them now.
    const unsubscribe = app.services.events.subscribe(() => dispatcher.nudge())
    const unlisten = app.services.webhooks.onEnqueue(() => dispatcher.nudge())
    app.addHook('onReady', async () => dispatcher.start())
    app.addHook('preClose', async () => {
      unsubscribe()
      unlisten()
      await dispatcher.stop()
    })
  },
  { name: 'webhook-dispatcher', dependencies: ['services', 'metrics'] }
)
