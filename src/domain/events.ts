import type { UserView } from './users.js'

/**
 * Domain events. Services publish them to the bus; the WebSocket hub, webhooks and metrics
 * listen. Services never call a listener directly.
 */
export type DomainEvent =
  | { type: 'user.created'; userId: string; user: UserView }
  | { type: 'user.updated'; userId: string; user: UserView }

export type DomainEventType = DomainEvent['type']

export type EventListener = (event: DomainEvent) => void

export interface EventBus {
  publish(event: DomainEvent): void
  subscribe(listener: EventListener): () => void
}
