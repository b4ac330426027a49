import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors, NoContent, ref } from '../../../schemas/common.js'
import { CreateToolRequest, ListToolsQuery, Tool, ToolIdParams, ToolPage } from '../../../schemas/tools.js'
import { principalOf } from '../auth.js'
import { presentTool, v1Page } from './presenters.js'

const tags = ['tools']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { tools } = app.services

  app.get(
    '/',
    {
      schema: {
        operationId: 'listTools',
        tags,
        summary: 'List tools',
        description:
          'Built-in tools first (`current_time`, `calculator`), then custom HTTP tools. Filter by `category` or `kind`; sort by `name`, `category` or `created_at`.',
        querystring: ListToolsQuery,
        response: { 200: ref(ToolPage, 'A page of tools'), ...errors(401, 422) }
      }
    },
    async (request) => v1Page(tools.list(principalOf(request), request.query), presentTool)
  )

  app.post(
    '/',
    {
      config: { role: 'admin', idempotency: 'stored', location: (tool: { id: string }) => `/api/v1/tools/${tool.id}` },
      schema: {
        operationId: 'createTool',
        tags,
        summary: 'Create a custom HTTP tool (admin only)',
        description:
          'When the model calls it, the service sends the arguments to `url` (query parameters for GET and DELETE, a JSON body otherwise) and hands the answer back. ' +
          'It never reaches private, loopback or link-local addresses unless `WEBHOOK_ALLOW_PRIVATE` is true: such a URL is refused here with 422 `ADDRESS_NOT_ALLOWED`, and names are checked again on every call.',
        body: ref(CreateToolRequest),
        response: { 201: ref(Tool, 'The new tool'), ...errors(400, 401, 403, 409, 422) }
      }
    },
    async (request, reply) => reply.code(201).send(presentTool(tools.create(principalOf(request), request.body)))
  )

  app.get(
    '/:tool_id',
    {
      schema: {
        operationId: 'getTool',
        tags,
        summary: 'Get a tool',
        description: 'A built-in or custom tool by id, with the JSON Schema of its arguments.',
        params: ToolIdParams,
        response: { 200: ref(Tool, 'The tool'), ...errors(401, 404, 422) }
      }
    },
    async (request) => presentTool(tools.get(principalOf(request), request.params.tool_id))
  )

  app.delete(
    '/:tool_id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'deleteTool',
        tags,
        summary: 'Delete a custom tool (admin only)',
        description: 'Assistants that list it stop offering it to their model. Built-in tools cannot be deleted (403).',
        params: ToolIdParams,
        response: { 204: { ...NoContent, description: 'The tool was deleted' }, ...errors(401, 403, 404, 422) }
      }
    },
    async (request, reply) => {
      tools.delete(principalOf(request), request.params.tool_id)
      return reply.code(204).send(null)
    }
  )
}

export default routes
