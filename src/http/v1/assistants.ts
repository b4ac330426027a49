import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  AssistantIdParams,
  AssistantPage,
  Assistant,
  CreateAssistantRequest,
  ListAssistantsQuery,
  UpdateAssistantRequest
} from '../../../schemas/assistants.js'
import { errors, NoContent, ref } from '../../../schemas/common.js'
import { principalOf } from '../auth.js'
import { presentAssistant, v1Page } from './presenters.js'

const tags = ['assistants']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { assistants } = app.services

  app.get(
    '/',
    {
      schema: {
        operationId: 'listAssistants',
        tags,
        summary: 'List assistants',
        description:
          "The caller's own assistants, and others' active ones shared with them: `public` ones, and `workspace` ones attached to a workspace they are a member of (admins see all). `system_prompt` and `tools` are shown only on the caller's own (all, for admins). Filter by `status`, `category` or `owner_id` (`me` for the caller's); sort by `created_at`, `updated_at`, `name`, `status` or `category`.",
        querystring: ListAssistantsQuery,
        response: { 200: ref(AssistantPage, 'A page of assistants'), ...errors(401, 422) }
      }
    },
    async (request) => v1Page(assistants.list(principalOf(request), request.query), presentAssistant)
  )

  app.post(
    '/',
    {
      config: { idempotency: 'stored', location: (assistant: { id: string }) => `/api/v1/assistants/${assistant.id}` },
      schema: {
        operationId: 'createAssistant',
        tags,
        summary: 'Create an assistant',
        description:
          "The caller owns it. It is `private` unless `visibility` says otherwise. `model` defaults to the server's default model (`offline` when no provider key is set); `tools` must name existing tools.",
        body: ref(CreateAssistantRequest),
        response: { 201: ref(Assistant, 'The new assistant'), ...errors(400, 401, 422) }
      }
    },
    async (request, reply) => reply.code(201).send(presentAssistant(assistants.create(principalOf(request), request.body)))
  )

  app.get(
    '/:assistant_id',
    {
      schema: {
        operationId: 'getAssistant',
        tags,
        summary: 'Get an assistant',
        description:
          "An assistant the caller may not see (another user's private one, or one not active) is 404. `system_prompt` and `tools` are shown only to its owner and admins.",
        params: AssistantIdParams,
        response: { 200: ref(Assistant, 'The assistant'), ...errors(401, 404, 422) }
      }
    },
    async (request) => presentAssistant(assistants.get(principalOf(request), request.params.assistant_id))
  )

  app.put(
    '/:assistant_id',
    {
      schema: {
        operationId: 'updateAssistant',
        tags,
        summary: 'Update an assistant (owner or admin)',
        description: "Changes the fields sent. Someone else's visible assistant is 403 `NOT_ASSISTANT_OWNER`; one they cannot see is 404.",
        params: AssistantIdParams,
        body: ref(UpdateAssistantRequest),
        response: { 200: ref(Assistant, 'The assistant'), ...errors(400, 401, 403, 404, 422) }
      }
    },
    async (request) => presentAssistant(assistants.update(principalOf(request), request.params.assistant_id, request.body))
  )

  app.delete(
    '/:assistant_id',
    {
      schema: {
        operationId: 'deleteAssistant',
        tags,
        summary: 'Delete an assistant (owner or admin)',
        description: 'Its conversations stay, without an assistant.',
        params: AssistantIdParams,
        response: { 204: { ...NoContent, description: 'The assistant was deleted' }, ...errors(401, 403, 404, 422) }
      }
    },
    async (request, reply) => {
      assistants.delete(principalOf(request), request.params.assistant_id)
      return reply.code(204).send(null)
    }
  )
}

export default routes
