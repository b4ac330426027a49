import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors, NoContent, PageQuery, ref } from '../../../schemas/common.js'
import {
  CreatedWebhook,
  CreateWebhookRequest,
  ListDeliveriesQuery,
  UpdateWebhookRequest,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookDeliveryParams,
  WebhookIdParams,
  WebhookPage
} from '../../../schemas/webhooks.js'
import { principalOf } from '../auth.js'
import { presentCreatedWebhook, presentWebhook, presentWebhookDelivery, v1Page } from './presenters.js'

const tags = ['webhooks']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { webhooks } = app.services

  app.post(
    '/',
    {
      config: { location: (hook: { id: string }) => `/api/v1/webhooks/${hook.id}` },
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Create a webhook',
        description:
          'Deliveries are POSTed as `{ event, timestamp, data }` and signed per Standard Webhooks (`webhook-id`, ' +
          '`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`). Without `secret` one is generated; ' +
          'the secret is in this response only.',
        body: ref(CreateWebhookRequest),
        response: { 201: ref(CreatedWebhook, 'The webhook, with its secret shown this once'), ...errors(400, 401, 422) }
      }
    },
    async (request, reply) => reply.code(201).send(presentCreatedWebhook(await webhooks.create(principalOf(request), request.body)))
  )

  app.get(
    '/',
    {
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: "List the caller's webhooks",
        description: "The caller's webhooks, a page at a time. Secrets are shown only when a webhook is made.",
        querystring: PageQuery,
        response: { 200: ref(WebhookPage, 'A page of webhooks'), ...errors(401, 422) }
      }
    },
    async (request) => v1Page(webhooks.list(principalOf(request), request.query), presentWebhook)
  )

  app.get(
    '/:webhook_id',
    {
      schema: {
        operationId: 'getWebhook',
        tags,
        summary: 'Get a webhook',
        description: "One of the caller's webhooks, with its failures in a row and whether it is active; another user's is a 404.",
        params: WebhookIdParams,
        response: { 200: ref(Webhook, 'The webhook'), ...errors(401, 404, 422) }
      }
    },
    async (request) => presentWebhook(webhooks.get(principalOf(request), request.params.webhook_id))
  )

  app.patch(
    '/:webhook_id',
    {
      schema: {
        operationId: 'updateWebhook',
        tags,
        summary: 'Update a webhook',
        description: 'Only the fields sent change. `is_active: true` re-enables a webhook disabled after failures.',
        params: WebhookIdParams,
        body: ref(UpdateWebhookRequest),
        response: { 200: ref(Webhook, 'The webhook'), ...errors(400, 401, 404, 422) }
      }
    },
    async (request) => presentWebhook(await webhooks.update(principalOf(request), request.params.webhook_id, request.body))
  )

  app.delete(
    '/:webhook_id',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Delete a webhook and its delivery log',
        description: 'Deletes the webhook and its delivery log: nothing more is delivered to it.',
        params: WebhookIdParams,
        response: { 204: { ...NoContent, description: 'The webhook was deleted' }, ...errors(401, 404, 422) }
      }
    },
    async (request, reply) => {
      webhooks.delete(principalOf(request), request.params.webhook_id)
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/:webhook_id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: 'The delivery log of a webhook, newest first',
        description:
          'Every delivery of the webhook, newest first (`status` keeps one state): the body sent, the attempts, and the status, error and duration of the last one.',
        params: WebhookIdParams,
        querystring: ListDeliveriesQuery,
        response: { 200: ref(WebhookDeliveryPage, 'A page of deliveries'), ...errors(401, 404, 422) }
      }
    },
    async (request) => v1Page(webhooks.deliveries(principalOf(request), request.params.webhook_id, request.query), presentWebhookDelivery)
  )

  app.post(
    '/:webhook_id/deliveries/:delivery_id/redeliver',
    {
      schema: {
        operationId: 'redeliverWebhookDelivery',
        tags,
        summary: 'Send a delivery again',
        description: 'Queues a new delivery with the same `webhook-id` and body; it appears in the log.',
        params: WebhookDeliveryParams,
        response: { 202: ref(WebhookDelivery, 'The new delivery, queued'), ...errors(401, 404, 409, 422) }
      }
    },
    async (request, reply) =>
      reply.code(202).send(presentWebhookDelivery(webhooks.redeliver(principalOf(request), request.params.webhook_id, request.params.delivery_id)))
  )

  app.post(
    '/:webhook_id/test',
    {
      schema: {
        operationId: 'testWebhook',
        tags,
        summary: 'Send a test ping',
        description: 'Queues a `webhook.test` event for this webhook only; follow it in the delivery log.',
        params: WebhookIdParams,
        response: { 202: ref(WebhookDelivery, 'The test delivery, queued'), ...errors(401, 404, 409, 422) }
      }
    },
    async (request, reply) => reply.code(202).send(presentWebhookDelivery(webhooks.test(principalOf(request), request.params.webhook_id)))
  )
}

export default routes
