import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { AuthKeyQuery } from '../../../schemas/dispatch/common.js'
import {
  CreateWorkspaceRequest,
  ListWorkspacesQuery,
  UpdateWorkspaceRequest,
  Workspace,
  WorkspaceDeleted,
  WorkspaceDetail,
  WorkspaceIdParams,
  WorkspaceList,
  WorkspaceUpdated
} from '../../../schemas/dispatch/workspaces.js'
import { dispatchErrors } from './errors.js'
import { pagination, presentWorkspace, presentWorkspaceDetail } from './presenters.js'

const tags = ['workspaces']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { dispatch } = app.services

  app.get(
    '/',
    {
      schema: {
        operationId: 'listWorkspaces',
        tags,
        summary: 'List workspaces with their session counts',
        description: 'Workspaces under the workspace root, by path; `status` filters, `limit` and `offset` page.',
        querystring: ListWorkspacesQuery,
        response: { 200: ref(WorkspaceList, 'A page of workspaces') }
      }
    },
    async (request) => {
      const slice = dispatch.listWorkspaces(request.query)
      return { workspaces: slice.items.map(presentWorkspace), pagination: pagination(slice) }
    }
  )

  app.post(
    '/',
    {
      config: { location: (w: { id: string }) => `/api/workspaces/${encodeURIComponent(w.id)}` },
      schema: {
        operationId: 'createWorkspace',
        tags,
        summary: 'Create a workspace',
        description:
          '`path` must be absolute, normalized and under the workspace root (no `..`, no symbolic link out of it), and not a workspace yet. ' +
          'Its folder is created when a session first runs in it.',
        body: ref(CreateWorkspaceRequest),
        response: { 201: ref(Workspace, 'The new workspace'), ...dispatchErrors(400, 409) }
      }
    },
    async (request, reply) => reply.code(201).send(presentWorkspace(dispatch.createWorkspace(request.body)))
  )

  app.get(
    '/:workspaceId',
    {
      schema: {
        operationId: 'getWorkspace',
        tags,
        summary: 'Get a workspace with its session statistics and active sessions',
        description: 'The workspace whose path is `workspaceId` (URL-encoded), with its session counts and the sessions active in it.',
        params: WorkspaceIdParams,
        querystring: AuthKeyQuery,
        response: { 200: ref(WorkspaceDetail, 'The workspace'), ...dispatchErrors(404) }
      }
    },
    async (request) => presentWorkspaceDetail(dispatch.getWorkspace(request.params.workspaceId))
  )

  app.put(
    '/:workspaceId',
    {
      schema: {
        operationId: 'updateWorkspace',
        tags,
        summary: "Change a workspace's name or status",
        description: 'Renames the workspace, or moves it to another status (`new`, `active`, `archived`); its path stays.',
        params: WorkspaceIdParams,
        querystring: AuthKeyQuery,
        body: ref(UpdateWorkspaceRequest),
        response: { 200: ref(WorkspaceUpdated, 'What changed'), ...dispatchErrors(404) }
      }
    },
    async (request) => {
      const w = dispatch.updateWorkspace(request.params.workspaceId, request.body)
      return { id: w.path, name: w.name, status: w.status, updatedAt: w.updatedAt }
    }
  )

  app.delete(
    '/:workspaceId',
    {
      schema: {
        operationId: 'deleteWorkspace',
        tags,
        summary: 'Delete a workspace and its ended sessions',
        description:
          'Refused (422) while any of its sessions is starting or running: stop them first. Its folder on disk is left as it is; ' +
          'its conversations are deleted with it.',
        params: WorkspaceIdParams,
        querystring: AuthKeyQuery,
        response: { 200: ref(WorkspaceDeleted, 'Deleted'), ...dispatchErrors(404, 422) }
      }
    },
    async (request) => ({ message: 'Workspace deleted successfully', ...dispatch.deleteWorkspace(request.params.workspaceId) })
  )
}

export default routes
