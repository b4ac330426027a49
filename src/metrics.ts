import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * The service's Prometheus metrics, in a registry of its own per app instance (never prom-client's
 * global one, so apps built side by side in tests do not collide). Parts of the service increment
 * the counters they own: HTTP (the metrics plugin), WebSockets (the hub), messages (from the event
 * bus), assistant replies (the reply runner) and webhook deliveries (the dispatcher).
 */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 })

  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry]
  })
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry]
  })
  const wsConnections = new Gauge({
    name: 'ws_connections',
    help: 'Open WebSocket connections',
    registers: [registry]
  })
  const wsFrames = new Counter({
    name: 'ws_frames_total',
    help: 'WebSocket frames by direction (in, out) and frame type',
    labelNames: ['direction', 'type'] as const,
    registers: [registry]
  })
  const messagesCreated = new Counter({
    name: 'messages_created_total',
    help: 'Messages created in conversations, by role',
    labelNames: ['role'] as const,
    registers: [registry]
  })
  const assistantReplies = new Counter({
    name: 'assistant_replies_total',
    help: 'Assistant replies by outcome (completed, failed, cancelled)',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })
  const assistantReplyLatency = new Histogram({
    name: 'assistant_reply_latency_seconds',
    help: 'Time from the user message to the completed assistant reply',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
    registers: [registry]
  })
  const webhookDeliveries = new Counter({
    name: 'webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by outcome: success, retry (failed, will retry), failed (gave up)',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })

  return {
    registry,
    httpRequests,
    httpDuration,
    wsConnections,
    wsFrames,
    messagesCreated,
    assistantReplies,
    assistantReplyLatency,
    webhookDeliveries
  }
}

export type Metrics = ReturnType<typeof createMetrics>
