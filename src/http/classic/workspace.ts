import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import {
  AgentRequest,
  ChatList,
  CreateWorkspaceRequest,
  Msg,
  RenameRequest,
  WorkspaceCreated,
  WorkspaceEnvelope,
  WorkspaceIdParams,
  WorkspaceList
} from '../../../schemas/classic/index.js'
import { conversationRecord } from '../../domain/conversations.js'
import { principalOf } from '../auth.js'
import { bodyIsOptional, errors } from './errors.js'
import { presentChat, presentWorkspace } from './presenters.js'

const tags = ['workspace']
const UNTITLED = 'Untitled Workspace'
const access = 'Answers 404 `Workspace not found`, or 403 `User does not have access to the workspace` for one the caller is not a member of.'
const owner = `${access} A member who may not change it gets 403 \`User is not the owner of the workspace\`.`

/** Workspaces (the same as every other surface's), their chats and their agents. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { workspaces, chats } = app.services
  const disclose = { disclose: true }

  app.post(
    '/workspace',
    {
      preValidation: bodyIsOptional,
      schema: {
        operationId: 'createWorkspace',
        tags,
        summary: 'Create a workspace',
        description: `The caller owns it. Without a JSON body or a \`name\`, it is named "${UNTITLED}".`,
        body: ref(CreateWorkspaceRequest),
        response: { 200: ref(WorkspaceCreated, 'The new workspace'), ...errors(400) }
      }
    },
    async (request) => {
      const name = request.body?.name?.trim() ? request.body.name : UNTITLED
      return { msg: 'Workspace created' as const, workspace: presentWorkspace(workspaces.create(principalOf(request), { name })) }
    }
  )

  app.get(
    '/workspace',
    {
      schema: {
        operationId: 'listWorkspaces',
        tags,
        summary: "The caller's workspaces",
        description: 'Every workspace the caller owns or is a member of, oldest first. Also served at `/workspace/`.',
        response: { 200: ref(WorkspaceList, 'The workspaces') }
      }
    },
    async (request) => ({ workspaces: workspaces.all(principalOf(request)).map(presentWorkspace) })
  )

  app.get(
    '/workspace/:workspace_id',
    {
      schema: {
        operationId: 'getWorkspace',
        tags,
        summary: 'Get a workspace',
        description: access,
        params: WorkspaceIdParams,
        response: { 200: ref(WorkspaceEnvelope, 'The workspace'), ...errors(403, 404) }
      }
    },
    async (request) => ({ workspace: presentWorkspace(workspaces.get(principalOf(request), request.params.workspace_id, disclose)) })
  )

  app.delete(
    '/workspace/:workspace_id',
    {
      schema: {
        operationId: 'deleteWorkspace',
        tags,
        summary: 'Delete a workspace',
        description: `Only its owner deletes it, with its chats. ${owner}`,
        params: WorkspaceIdParams,
        response: { 200: ref(Msg, '`{"msg": "Workspace deleted"}`'), ...errors(403, 404) }
      }
    },
    async (request) => {
      workspaces.delete(principalOf(request), request.params.workspace_id, disclose)
      return { msg: 'Workspace deleted' }
    }
  )

  app.get(
    '/workspace/:workspace_id/chats',
    {
      schema: {
        operationId: 'listWorkspaceChats',
        tags,
        summary: 'The chats of a workspace',
        description: `Every chat of the workspace, oldest first. ${access}`,
        params: WorkspaceIdParams,
        response: { 200: ref(ChatList, 'The chats'), ...errors(403, 404) }
      }
    },
    async (request) => ({
      chats: chats.inWorkspace(principalOf(request), request.params.workspace_id, disclose).map((c) => presentChat(conversationRecord(c)))
    })
  )

  app.post(
    '/workspace/:workspace_id/agent',
    {
      schema: {
        operationId: 'addWorkspaceAgent',
        tags,
        summary: 'Add an agent to a workspace',
        description: `\`agent_id\` is an assistant's id (an installed agent package is one). Adding one already there changes nothing. An unknown agent answers 404 \`Agent not found\`. ${owner}`,
        params: WorkspaceIdParams,
        body: ref(AgentRequest),
        response: { 200: ref(Msg, '`{"msg": "Agent added to Workspace."}`'), ...errors(403, 404) }
      }
    },
    async (request) => {
      workspaces.attachAgent(principalOf(request), request.params.workspace_id, request.body.agent_id, disclose)
      return { msg: 'Agent added to Workspace.' }
    }
  )

  app.delete(
    '/workspace/:workspace_id/agent',
    {
      schema: {
        operationId: 'removeWorkspaceAgent',
        tags,
        summary: 'Remove an agent from a workspace',
        description: `An agent that is not in the workspace answers 404 \`Agent not found in workspace\`. ${owner}`,
        params: WorkspaceIdParams,
        body: ref(AgentRequest),
        response: { 200: ref(Msg, '`{"msg": "Agent removed"}`'), ...errors(403, 404) }
      }
    },
    async (request) => {
      workspaces.detachAgent(principalOf(request), request.params.workspace_id, request.body.agent_id, disclose)
      return { msg: 'Agent removed' }
    }
  )

  app.put(
    '/workspace/:workspace_id/rename',
    {
      schema: {
        operationId: 'renameWorkspace',
        tags,
        summary: 'Rename a workspace',
        description: `Answers 400 \`Missing name parameter\` without a \`name\`. ${owner}`,
        params: WorkspaceIdParams,
        body: ref(RenameRequest),
        response: { 200: ref(Msg, '`{"msg": "Workspace renamed"}`'), ...errors(403, 404) }
      }
    },
    async (request) => {
      workspaces.update(principalOf(request), request.params.workspace_id, { name: request.body.name }, disclose)
      return { msg: 'Workspace renamed' }
    }
  )
}

export default routes
