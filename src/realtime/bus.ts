import type { DomainEvent, EventBus, EventListener } from '../domain/events.js'

/**
 * The in-process event bus: listeners run synchronously in publish order, after the
 * publishing transaction has committed. A listener that throws is reported, never
 * propagated to the service that published. A broker-backed bus implements the same interface.
 */
export class InProcessEventBus implements EventBus {
  private readonly listeners = new Set<EventListener>()

  constructor(private readonly onListenerError: (err: unknown, event: DomainEvent) => void = () => {}) {}

  publish(event: DomainEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch (err) {
        this.onListenerError(err, event)
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
