import { Type } from '@sinclair/typebox'
import { PageOf, PageQuery, Timestamp, ref, StringEnum, Uuid, example } from './common.js'

export const ASSISTANT_STATUSES = ['active', 'inactive', 'draft'] as const
export const AssistantStatus = StringEnum(ASSISTANT_STATUSES, {
  $id: 'AssistantStatus',
  description: 'Only `active` assistants are seen by others (as `visibility` says); `inactive` and `draft` ones only by their owner and admins.'
})

export const ASSISTANT_VISIBILITIES = ['private', 'workspace', 'public'] as const
export const AssistantVisibility = StringEnum(ASSISTANT_VISIBILITIES, {
  $id: 'AssistantVisibility',
  description:
    'Who besides its owner and admins sees and uses the assistant while it is `active`: nobody (`private`, the default), ' +
    'the members of the workspaces it is attached to (`workspace`), or everyone signed in (`public`).'
})

const ModelName = Type.String({
  minLength: 1,
  maxLength: 200,
  description:
    'A model as `provider:model` (`openai:gpt-4o-mini`, `anthropic:claude-sonnet-4-6`, `groq:llama-3.3-70b-versatile`, `bedrock:amazon.nova-lite-v1:0`, `offline`); see `GET /api/v1/model`.',
  examples: ['offline', 'openai:gpt-4o-mini']
})
const ToolIds = Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }), {
  maxItems: 32,
  uniqueItems: true,
  description: 'Ids of tools the assistant may call (see `GET /api/v1/tools`).'
})
const Temperature = Type.Number({ minimum: 0, maximum: 2, description: 'Sampling temperature (0–2; Anthropic models use at most 1).' })
const NullableText = (maxLength: number, description?: string) =>
  // Null first: with type coercion on, a string branch tried first would turn null into "".
  Type.Union([Type.Null(), Type.String({ maxLength })], description ? { description } : {})

export const Assistant = example(
  Type.Object(
    {
      id: Uuid,
      name: Type.String(),
      description: Type.Union([Type.String(), Type.Null()]),
      personality: Type.Union([Type.String(), Type.Null()]),
      system_prompt: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Shown only to the owner and admins.' })),
      tools: Type.Optional(Type.Array(Type.String(), { description: 'Ids of the tools it may call; shown only to the owner and admins.' })),
      model: Type.String({ description: 'The model, as `provider:model`.' }),
      temperature: Type.Number(),
      status: ref(AssistantStatus),
      visibility: ref(AssistantVisibility),
      category: Type.Union([Type.String(), Type.Null()]),
      owner_id: Type.Union([Uuid, Type.Null()], { description: 'The user who created it; null if that user was deleted.' }),
      created_at: Timestamp,
      updated_at: Timestamp
    },
    { $id: 'Assistant', additionalProperties: false }
  ),
  {
    id: '01936f3c-2a10-7b44-9e21-3c5d6e7f8a90',
    name: 'Helper',
    description: 'Answers questions and does sums',
    personality: 'Patient and precise',
    system_prompt: 'You are a helpful assistant. Use the calculator for arithmetic.',
    tools: ['calculator'],
    model: 'offline',
    temperature: 0.7,
    status: 'active',
    visibility: 'private',
    category: null,
    owner_id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d',
    created_at: '2024-01-15T10:30:00.000Z',
    updated_at: '2024-01-15T10:30:00.000Z'
  }
)

export const AssistantPage = PageOf(Assistant, 'AssistantPage')

export const CreateAssistantRequest = example(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 200 }),
      description: Type.Optional(NullableText(2000)),
      personality: Type.Optional(NullableText(2000)),
      system_prompt: Type.Optional(NullableText(20000)),
      tools: Type.Optional(ToolIds),
      model: Type.Optional(ModelName),
      temperature: Type.Optional(Temperature),
      status: Type.Optional(ref(AssistantStatus)),
      visibility: Type.Optional(ref(AssistantVisibility)),
      category: Type.Optional(NullableText(64))
    },
    { $id: 'CreateAssistantRequest', additionalProperties: false }
  ),
  {
    name: 'Travel planner',
    description: 'Plans trips and does the sums',
    personality: 'Friendly and precise',
    system_prompt: 'You help people plan trips. Use the calculator for any arithmetic.',
    tools: ['calculator', 'current_time'],
    model: 'offline',
    temperature: 0.7,
    visibility: 'private'
  }
)

export const UpdateAssistantRequest = example(
  Type.Partial(Type.Omit(CreateAssistantRequest, []), {
    $id: 'UpdateAssistantRequest',
    additionalProperties: false,
    description: 'The fields to change; the others keep their values.'
  }),
  { temperature: 0.3, status: 'active' }
)

export const ListAssistantsQuery = Type.Composite([
  PageQuery,
  Type.Object({
    status: Type.Optional(StringEnum(ASSISTANT_STATUSES, { description: 'Only assistants with this status.' })),
    category: Type.Optional(Type.String({ maxLength: 64 })),
    owner_id: Type.Optional(Type.Union([Uuid, Type.Literal('me')], { description: 'Only assistants of this owner (`me`: the caller).' }))
  })
])

export const AssistantIdParams = Type.Object({ assistant_id: Uuid })
