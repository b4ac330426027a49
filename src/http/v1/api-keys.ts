import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors, NoContent, PageQuery, ref } from '../../../schemas/common.js'
import { ApiKeyIdParams, ApiKeyPage, CreateApiKeyRequest, CreatedApiKey } from '../../../schemas/api-keys.js'
import { principalOf } from '../auth.js'
import { presentApiKey, presentCreatedApiKey, v1Page } from './presenters.js'

const tags = ['api-keys']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { apiKeys } = app.services

  app.post(
    '/',
    {
      config: { location: (key: { id: string }) => `/api/v1/api-keys/${key.id}` },
      schema: {
        operationId: 'createApiKey',
        tags,
        summary: 'Create an API key',
        description: 'The key is in this response only; it is stored hashed.',
        body: ref(CreateApiKeyRequest),
        response: { 201: ref(CreatedApiKey, 'The new key, shown this once'), ...errors(400, 401, 422) }
      }
    },
    async (request, reply) => reply.code(201).send(presentCreatedApiKey(apiKeys.create(principalOf(request), request.body.name)))
  )

  app.get(
    '/',
    {
      schema: {
        operationId: 'listApiKeys',
        tags,
        summary: "List the caller's live API keys",
        description: "The caller's keys that are not revoked, by name and prefix: the key itself is shown only once, when made.",
        querystring: PageQuery,
        response: { 200: ref(ApiKeyPage, 'A page of keys'), ...errors(401, 422) }
      }
    },
    async (request) => v1Page(apiKeys.list(principalOf(request), request.query), presentApiKey)
  )

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'revokeApiKey',
        tags,
        summary: 'Revoke an API key',
        description: "The key stops working at once, and WebSockets opened with it are closed. Another user's key is a 404.",
        params: ApiKeyIdParams,
        response: { 204: { ...NoContent, description: 'The key was revoked' }, ...errors(401, 404, 422) }
      }
    },
    async (request, reply) => {
      apiKeys.revoke(principalOf(request), request.params.id)
      return reply.code(204).send(null)
    }
  )
}

export default routes
