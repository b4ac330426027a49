import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { errors, NoContent, PageQuery, ref } from '../../../schemas/common.js'
import {
  AddWorkspaceMemberRequest,
  AttachWorkspaceAgentRequest,
  CreateWorkspaceRequest,
  ListWorkspacesQuery,
  UpdateWorkspaceMemberRequest,
  UpdateWorkspaceRequest,
  Workspace,
  WorkspaceAgent,
  WorkspaceAgentPage,
  WorkspaceAgentParams,
  WorkspaceIdParams,
  WorkspaceMember,
  WorkspaceMemberPage,
  WorkspaceMemberParams,
  WorkspacePage
} from '../../../schemas/workspaces.js'
import { principalOf } from '../auth.js'
import { presentWorkspace, presentWorkspaceAgent, presentWorkspaceMember, v1Page } from './presenters.js'

const tags = ['workspaces']
const workspaceIdOf = (request: FastifyRequest) => (request.params as { workspace_id: string }).workspace_id
const access = 'Only members see a workspace: anyone else gets 404 `WORKSPACE_NOT_FOUND`.'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { workspaces } = app.services

  app.post(
    '/',
    {
      config: { idempotency: 'stored', location: (w: { id: string }) => `/api/v1/workspaces/${w.id}` },
      schema: {
        operationId: 'createWorkspace',
        tags,
        summary: 'Create a workspace',
        description:
          'The caller becomes its owner. `path` (optional) must be absolute and normalized, and not used by another ' +
          'workspace (409 `WORKSPACE_PATH_TAKEN`). A new workspace has status `new`.',
        body: ref(CreateWorkspaceRequest),
        response: { 201: ref(Workspace, 'The new workspace'), ...errors(400, 401, 409, 422) }
      }
    },
    async (request, reply) => reply.code(201).send(presentWorkspace(workspaces.create(principalOf(request), request.body)))
  )

  app.get(
    '/',
    {
      schema: {
        operationId: 'listWorkspaces',
        tags,
        summary: 'List the workspaces the caller owns or belongs to',
        description: 'Sort by `created_at` (default `created_at:desc`), `name`, `updated_at` or `last_activity_at`.',
        querystring: ListWorkspacesQuery,
        response: { 200: ref(WorkspacePage, 'A page of workspaces'), ...errors(401, 422) }
      }
    },
    async (request) => v1Page(workspaces.list(principalOf(request), request.query), presentWorkspace)
  )

  app.get(
    '/:workspace_id',
    {
      schema: {
        operationId: 'getWorkspace',
        tags,
        summary: 'Get a workspace',
        description: access,
        params: WorkspaceIdParams,
        response: { 200: ref(Workspace, 'The workspace'), ...errors(401, 404, 422) }
      }
    },
    async (request) => presentWorkspace(workspaces.get(principalOf(request), request.params.workspace_id))
  )

  app.put(
    '/:workspace_id',
    {
      schema: {
        operationId: 'updateWorkspace',
        tags,
        summary: 'Update a workspace (owner or admin)',
        description: 'Changes `name`, `status` or `path` (null clears it). Members and viewers get 403 `WORKSPACE_ADMIN_REQUIRED`.',
        params: WorkspaceIdParams,
        body: ref(UpdateWorkspaceRequest),
        response: { 200: ref(Workspace, 'The workspace'), ...errors(400, 401, 403, 404, 409, 422) }
      }
    },
    async (request) => presentWorkspace(workspaces.update(principalOf(request), request.params.workspace_id, request.body))
  )

  app.delete(
    '/:workspace_id',
    {
      schema: {
        operationId: 'deleteWorkspace',
        tags,
        summary: 'Delete a workspace (owner only)',
        description:
          'Deletes the workspace with its memberships, agent links and conversations. Other members get 403 `NOT_WORKSPACE_OWNER`; ' +
          'while a dispatch session runs in it, 409 `WORKSPACE_HAS_RUNNING_SESSIONS`.',
        params: WorkspaceIdParams,
        response: { 204: { ...NoContent, description: 'The workspace was deleted' }, ...errors(401, 403, 404, 409, 422) }
      }
    },
    async (request, reply) => {
      workspaces.delete(principalOf(request), request.params.workspace_id)
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/:workspace_id/members',
    {
      schema: {
        operationId: 'listWorkspaceMembers',
        tags,
        summary: "List a workspace's members",
        description: `${access} Sort by \`joined_at\` (default, ascending) or \`email\`.`,
        params: WorkspaceIdParams,
        querystring: PageQuery,
        response: { 200: ref(WorkspaceMemberPage, 'A page of members'), ...errors(401, 404, 422) }
      }
    },
    async (request) => v1Page(workspaces.listMembers(principalOf(request), request.params.workspace_id, request.query), presentWorkspaceMember)
  )

  app.post(
    '/:workspace_id/members',
    {
      config: {
        idempotency: 'stored',
        location: (m: { user_id: string }, request) => `/api/v1/workspaces/${workspaceIdOf(request)}/members/${m.user_id}`
      },
      schema: {
        operationId: 'addWorkspaceMember',
        tags,
        summary: 'Add a member (owner or admin)',
        description:
          'Adds a registered user, by `user_id` or `email`, as `admin`, `member` or `viewer`. An unknown user is 404 ' +
          '`USER_NOT_FOUND`; one already a member is 409 `WORKSPACE_MEMBER_EXISTS`.',
        params: WorkspaceIdParams,
        body: ref(AddWorkspaceMemberRequest),
        response: { 201: ref(WorkspaceMember, 'The new member'), ...errors(400, 401, 403, 404, 409, 422) }
      }
    },
    async (request, reply) =>
      reply.code(201).send(presentWorkspaceMember(workspaces.addMember(principalOf(request), request.params.workspace_id, request.body)))
  )

  app.put(
    '/:workspace_id/members/:user_id',
    {
      schema: {
        operationId: 'updateWorkspaceMember',
        tags,
        summary: "Change a member's role (owner or admin)",
        description: "The owner's role cannot be changed (409 `WORKSPACE_OWNER_LOCKED`).",
        params: WorkspaceMemberParams,
        body: ref(UpdateWorkspaceMemberRequest),
        response: { 200: ref(WorkspaceMember, 'The member'), ...errors(400, 401, 403, 404, 409, 422) }
      }
    },
    async (request) =>
      presentWorkspaceMember(workspaces.updateMember(principalOf(request), request.params.workspace_id, request.params.user_id, request.body.role))
  )

  app.delete(
    '/:workspace_id/members/:user_id',
    {
      schema: {
        operationId: 'removeWorkspaceMember',
        tags,
        summary: 'Remove a member (owner or admin), or leave',
        description: 'Any member may remove themself. The owner cannot be removed (409 `WORKSPACE_OWNER_LOCKED`).',
        params: WorkspaceMemberParams,
        response: { 204: { ...NoContent, description: 'The member was removed' }, ...errors(401, 403, 404, 409, 422) }
      }
    },
    async (request, reply) => {
      workspaces.removeMember(principalOf(request), request.params.workspace_id, request.params.user_id)
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/:workspace_id/agents',
    {
      schema: {
        operationId: 'listWorkspaceAgents',
        tags,
        summary: 'List the assistants attached to a workspace',
        description: `${access} Sort by \`attached_at\` (default, ascending) or \`name\`.`,
        params: WorkspaceIdParams,
        querystring: PageQuery,
        response: { 200: ref(WorkspaceAgentPage, 'A page of attached assistants'), ...errors(401, 404, 422) }
      }
    },
    async (request) => v1Page(workspaces.listAgents(principalOf(request), request.params.workspace_id, request.query), presentWorkspaceAgent)
  )

  app.post(
    '/:workspace_id/agents',
    {
      config: {
        idempotency: 'stored',
        location: (a: { assistant_id: string }, request) => `/api/v1/workspaces/${workspaceIdOf(request)}/agents/${a.assistant_id}`
      },
      schema: {
        operationId: 'attachWorkspaceAgent',
        tags,
        summary: 'Attach an assistant to a workspace (owner or admin)',
        description:
          'Idempotent: 201 when the assistant was attached by this call, 200 with the same body when it already was. ' +
          'An unknown assistant is 404 `ASSISTANT_NOT_FOUND`.',
        params: WorkspaceIdParams,
        body: ref(AttachWorkspaceAgentRequest),
        response: {
          201: ref(WorkspaceAgent, 'The assistant was attached'),
          200: ref(WorkspaceAgent, 'The assistant was already attached'),
          ...errors(400, 401, 403, 404, 422)
        }
      }
    },
    async (request, reply) => {
      const { agent, created } = workspaces.attachAgent(principalOf(request), request.params.workspace_id, request.body.assistant_id)
      return reply.code(created ? 201 : 200).send(presentWorkspaceAgent(agent))
    }
  )

  app.delete(
    '/:workspace_id/agents/:assistant_id',
    {
      schema: {
        operationId: 'detachWorkspaceAgent',
        tags,
        summary: 'Detach an assistant from a workspace (owner or admin)',
        description: 'An assistant not attached is 404 `WORKSPACE_AGENT_NOT_FOUND`. The assistant itself is not deleted.',
        params: WorkspaceAgentParams,
        response: { 204: { ...NoContent, description: 'The assistant was detached' }, ...errors(401, 403, 404, 422) }
      }
    },
    async (request, reply) => {
      workspaces.detachAgent(principalOf(request), request.params.workspace_id, request.params.assistant_id)
      return reply.code(204).send(null)
    }
  )
}

export default routes
