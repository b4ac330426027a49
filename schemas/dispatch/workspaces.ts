import { Type } from '@sinclair/typebox'
import { ref, StringEnum, example } from '../common.js'
import { AuthKey, Limit, NullableTimestamp, Offset, Pagination, Timestamp } from './common.js'
import { SessionStatus, SessionType } from './sessions.js'

export const WorkspaceStatus = StringEnum(['new', 'active', 'archived'] as const, { $id: 'DispatchWorkspaceStatus' })

const Id = Type.String({ description: 'The workspace path (URL-encode it in paths).', examples: ['/workspace/my-project'] })
const Name = Type.String({ minLength: 1, maxLength: 100, examples: ['My Project'] })

const common = {
  id: Id,
  name: Name,
  path: Type.String({ examples: ['/workspace/my-project'] }),
  status: ref(WorkspaceStatus),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastActive: NullableTimestamp
}

const count = Type.Integer({ minimum: 0 })

export const Workspace = Type.Object(
  {
    ...common,
    sessionCounts: Type.Object({ total: count, running: count, stopped: count, error: count }, { additionalProperties: false })
  },
  { $id: 'DispatchWorkspace', title: 'Workspace', additionalProperties: false }
)

export const ActiveSession = Type.Object(
  { id: Type.String(), type: ref(SessionType), status: ref(SessionStatus), createdAt: Timestamp, lastActivity: Timestamp },
  { $id: 'ActiveSession', additionalProperties: false }
)

export const WorkspaceDetail = Type.Object(
  {
    ...common,
    sessionCounts: Type.Object({ running: count, stopped: count, starting: count, error: count }, { additionalProperties: false }),
    sessionStats: Type.Object(
      {
        total: count,
        byStatus: Type.Record(Type.String(), count, { description: 'Sessions by status (statuses with none are left out).' }),
        byType: Type.Record(Type.String(), count, { description: 'Sessions by type (types with none are left out).' })
      },
      { additionalProperties: false }
    ),
    activeSessions: Type.Array(ref(ActiveSession), { description: 'Its starting and running sessions, oldest first.' })
  },
  { $id: 'DispatchWorkspaceDetail', title: 'Workspace detail', additionalProperties: false }
)

export const WorkspaceList = Type.Object(
  { workspaces: Type.Array(ref(Workspace)), pagination: ref(Pagination) },
  { $id: 'DispatchWorkspaceList', additionalProperties: false }
)

export const ListWorkspacesQuery = Type.Object(
  {
    authKey: Type.Optional(AuthKey),
    limit: Type.Optional(Limit),
    offset: Type.Optional(Offset),
    status: Type.Optional(ref(WorkspaceStatus))
  },
  { additionalProperties: false }
)

export const CreateWorkspaceRequest = example(
  Type.Object(
    {
      path: Type.String({ description: 'Absolute, under the workspace root, no `..`.', examples: ['/workspace/new-project'] }),
      name: Name,
      authKey: Type.Optional(AuthKey)
    },
    { $id: 'CreateDispatchWorkspaceRequest', additionalProperties: false }
  ),
  { path: '/workspace/new-project', name: 'New project' }
)

export const UpdateWorkspaceRequest = example(
  Type.Object(
    { name: Type.Optional(Name), status: Type.Optional(ref(WorkspaceStatus)), authKey: Type.Optional(AuthKey) },
    { $id: 'UpdateDispatchWorkspaceRequest', additionalProperties: false }
  ),
  { name: 'New project', status: 'active' }
)

export const WorkspaceUpdated = Type.Object(
  { id: Id, name: Name, status: ref(WorkspaceStatus), updatedAt: Timestamp },
  { $id: 'DispatchWorkspaceUpdated', additionalProperties: false }
)

export const WorkspaceDeleted = Type.Object(
  { message: Type.String({ examples: ['Workspace deleted successfully'] }), deletedSessions: count },
  { $id: 'DispatchWorkspaceDeleted', additionalProperties: false }
)

export const WorkspaceIdParams = Type.Object({
  workspaceId: Type.String({ minLength: 1, description: 'The URL-encoded workspace path, e.g. `%2Fworkspace%2Fmy-app`.' })
})
