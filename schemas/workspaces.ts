import { Type } from '@sinclair/typebox'
import { PageOf, PageQuery, Timestamp, ref, StringEnum, Uuid, example } from './common.js'

export const WorkspaceStatus = StringEnum(['new', 'active', 'archived'], {
  $id: 'WorkspaceStatus',
  description: '`new` until the first activity in it (then `active`); `archived` when put away.'
})
export const WorkspaceRole = StringEnum(['owner', 'admin', 'member', 'viewer'], {
  $id: 'WorkspaceRole',
  description: 'owner: everything, alone can delete; admin: change the workspace, its members and agents; member: read and take part; viewer: read.'
})
export const AssignableWorkspaceRole = StringEnum(['admin', 'member', 'viewer'], {
  $id: 'AssignableWorkspaceRole',
  description: 'A role that can be given to a member; `owner` belongs to the creator alone.'
})

const WorkspacePath = Type.String({
  minLength: 1,
  maxLength: 1024,
  description:
    'An absolute, normalized path on the host (no `.`/`..` segments, no trailing slash), unique among workspaces. ' +
    'In requests, null or an empty string means no path.',
  examples: ['/workspace/my-project']
})
const WorkspaceName = Type.String({ minLength: 1, maxLength: 100, examples: ['My Project'] })

export const Workspace = example(
  Type.Object(
    {
      id: Uuid,
      name: Type.String(),
      path: Type.Union([Type.String(), Type.Null()]),
      status: ref(WorkspaceStatus),
      owner_id: Uuid,
      role: ref(WorkspaceRole, "The caller's role in this workspace"),
      agents: Type.Array(Uuid, { description: 'Ids of the assistants attached to the workspace, oldest first.' }),
      member_count: Type.Integer({ minimum: 1 }),
      last_activity_at: Type.Union([Timestamp, Type.Null()], { description: 'The last conversation or message in it; null before any.' }),
      created_at: Timestamp,
      updated_at: Timestamp
    },
    { $id: 'Workspace', additionalProperties: false }
  ),
  {
    id: '01936f3c-5d40-7e77-b154-6f8091a2b3c4',
    name: 'My Project',
    path: '/workspace/my-project',
    status: 'active',
    owner_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d',
    role: 'owner',
    agents: ['01936f3c-2a10-7b44-9e21-3c5d6e7f8a90'],
    member_count: 2,
    last_activity_at: '2024-01-15T10:31:12.000Z',
    created_at: '2024-01-15T10:30:00.000Z',
    updated_at: '2024-01-15T10:31:12.000Z'
  }
)

export const WorkspacePage = PageOf(Workspace, 'WorkspacePage')

export const CreateWorkspaceRequest = example(
  Type.Object(
    { name: WorkspaceName, path: Type.Optional(Type.Union([WorkspacePath, Type.Null()])) },
    { $id: 'CreateWorkspaceRequest', additionalProperties: false }
  ),
  { name: 'Research' }
)

export const UpdateWorkspaceRequest = example(
  Type.Object(
    {
      name: Type.Optional(WorkspaceName),
      status: Type.Optional(ref(WorkspaceStatus)),
      path: Type.Optional(Type.Union([WorkspacePath, Type.Null()], { description: 'A new path, or null to clear it.' }))
    },
    { $id: 'UpdateWorkspaceRequest', additionalProperties: false }
  ),
  { name: 'Research team', status: 'active' }
)

export const ListWorkspacesQuery = Type.Composite([
  PageQuery,
  Type.Object({ status: Type.Optional(StringEnum(['new', 'active', 'archived'], { description: 'Only workspaces with this status.' })) })
])

export const WorkspaceIdParams = Type.Object({ workspace_id: Uuid })

export const WorkspaceMember = Type.Object(
  {
    user_id: Uuid,
    email: Type.String({ format: 'email' }),
    full_name: Type.Union([Type.String(), Type.Null()]),
    role: ref(WorkspaceRole),
    joined_at: Timestamp
  },
  { $id: 'WorkspaceMember', additionalProperties: false }
)

export const WorkspaceMemberPage = PageOf(WorkspaceMember, 'WorkspaceMemberPage')

export const AddWorkspaceMemberRequest = example(
  Type.Object(
    {
      user_id: Type.Optional(Uuid),
      email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'The email of a registered user.' })),
      role: ref(AssignableWorkspaceRole)
    },
    {
      $id: 'AddWorkspaceMemberRequest',
      additionalProperties: false,
      description: 'Give exactly one of `user_id` or `email`.'
    }
  ),
  { email: 'grace@example.com', role: 'member' }
)

export const UpdateWorkspaceMemberRequest = example(
  Type.Object({ role: ref(AssignableWorkspaceRole) }, { $id: 'UpdateWorkspaceMemberRequest', additionalProperties: false }),
  { role: 'viewer' }
)

export const WorkspaceMemberParams = Type.Object({ workspace_id: Uuid, user_id: Uuid })

export const WorkspaceAgent = Type.Object(
  {
    assistant_id: Uuid,
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    status: StringEnum(['active', 'inactive', 'draft']),
    attached_at: Timestamp
  },
  { $id: 'WorkspaceAgent', additionalProperties: false }
)

export const WorkspaceAgentPage = PageOf(WorkspaceAgent, 'WorkspaceAgentPage')

export const AttachWorkspaceAgentRequest = example(Type.Object({ assistant_id: Uuid }, { $id: 'AttachWorkspaceAgentRequest', additionalProperties: false }), {
  assistant_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d'
})

export const WorkspaceAgentParams = Type.Object({ workspace_id: Uuid, assistant_id: Uuid })
