import { Type } from '@sinclair/typebox'
import { ref, StringEnum, example } from '../common.js'
import { AuthKey, Limit, NullableTimestamp, Offset, Pagination, Timestamp } from './common.js'

export const SessionType = StringEnum(['pty', 'claude'] as const, {
  $id: 'SessionType',
  description: '`pty`: a shell in the workspace folder. `claude`: a conversation with the assistant, in that workspace.'
})
export const SessionStatus = StringEnum(['starting', 'running', 'stopped', 'error'] as const, { $id: 'SessionStatus' })

const Size = (what: string, fallback: number) =>
  Type.Integer({ minimum: 1, maximum: 1000, default: fallback, description: `Terminal ${what} (default ${fallback}).` })

export const Session = Type.Object(
  {
    id: Type.String(),
    type: ref(SessionType),
    status: ref(SessionStatus),
    workspacePath: Type.String({ description: 'The folder it runs in: its workspace.' }),
    cols: Type.Integer(),
    rows: Type.Integer(),
    pid: Type.Union([Type.Integer(), Type.Null()], { description: "The process id of a `pty` session's shell." }),
    conversationId: Type.Union([Type.String(), Type.Null()], { description: 'The conversation of a `claude` session.' }),
    exitCode: Type.Union([Type.Integer(), Type.Null()], { description: 'How the shell exited, once it has (null after a signal).' }),
    error: Type.Union([Type.String(), Type.Null()], { description: 'Why it ended in `error`.' }),
    createdAt: Timestamp,
    lastActivity: Timestamp,
    endedAt: NullableTimestamp
  },
  { $id: 'Session', additionalProperties: false }
)

export const CreateSessionRequest = example(
  Type.Object(
    {
      type: ref(SessionType),
      workspacePath: Type.String({ description: 'The path of an existing workspace.' }),
      cols: Type.Optional(Size('columns', 80)),
      rows: Type.Optional(Size('rows', 24)),
      authKey: Type.Optional(AuthKey)
    },
    { $id: 'CreateSessionRequest', additionalProperties: false }
  ),
  { type: 'pty', workspacePath: '/workspace/new-project', cols: 80, rows: 24 }
)

export const ListSessionsQuery = Type.Object(
  {
    authKey: Type.Optional(AuthKey),
    workspacePath: Type.Optional(Type.String({ description: "Only this workspace's sessions." })),
    status: Type.Optional(ref(SessionStatus)),
    type: Type.Optional(ref(SessionType)),
    limit: Type.Optional(Limit),
    offset: Type.Optional(Offset)
  },
  { additionalProperties: false }
)

export const SessionList = Type.Object({ sessions: Type.Array(ref(Session)), pagination: ref(Pagination) }, { $id: 'SessionList', additionalProperties: false })

export const SessionIdParams = Type.Object({ id: Type.String({ minLength: 1, description: 'The session id.' }) })

export const StopSessionRequest = example(Type.Object({ authKey: Type.Optional(AuthKey) }, { $id: 'StopSessionRequest', additionalProperties: false }), {})
