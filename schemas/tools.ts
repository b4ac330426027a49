import { Type } from '@sinclair/typebox'
import { PageOf, PageQuery, Timestamp, ref, StringEnum, example } from './common.js'

export const JsonSchemaObject = Type.Object(
  {
    type: Type.Literal('object'),
    properties: Type.Optional(Type.Record(Type.String(), Type.Any())),
    required: Type.Optional(Type.Array(Type.String()))
  },
  {
    $id: 'JsonSchemaObject',
    additionalProperties: true,
    description: 'A JSON Schema of an object: the arguments a tool takes.',
    examples: [{ type: 'object', properties: { query: { type: 'string', description: 'Search query' } }, required: ['query'] }]
  }
)

export const HttpMethod = StringEnum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], { $id: 'HttpMethod' })

export const Tool = Type.Object(
  {
    id: Type.String({ description: "A built-in tool's name (`calculator`), or a custom tool's UUID." }),
    name: Type.String({ description: 'The name the model calls it by.' }),
    description: Type.String(),
    category: Type.String(),
    parameters: Type.Unsafe<Record<string, unknown>>(ref(JsonSchemaObject)),
    kind: StringEnum(['builtin', 'http'], { description: '`builtin` tools run in the service; `http` tools are custom tools that call a URL.' }),
    url: Type.Optional(Type.String({ description: 'The URL an `http` tool calls (shown to admins only).' })),
    method: Type.Optional(ref(HttpMethod)),
    created_at: Type.Union([Timestamp, Type.Null()], { description: 'null for built-in tools.' }),
    updated_at: Type.Union([Timestamp, Type.Null()])
  },
  { $id: 'Tool', additionalProperties: false }
)

export const ToolPage = PageOf(Tool, 'ToolPage')

export const CreateToolRequest = example(
  Type.Object(
    {
      name: Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z][A-Za-z0-9_-]*$',
        description: 'Letters, digits, `_` and `-`; unique among all tools.'
      }),
      description: Type.String({ minLength: 1, maxLength: 2000 }),
      category: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: 'custom' })),
      parameters: Type.Record(Type.String(), Type.Any(), {
        description:
          'A JSON Schema of an object (`{"type":"object","properties":{...},"required":[...]}`), or the short form `{"query":{"type":"string","required":true}}`, which is converted.'
      }),
      url: Type.String({
        minLength: 1,
        maxLength: 2000,
        format: 'uri',
        description: 'http(s) URL. GET and DELETE get the arguments as query parameters, the others as a JSON body.'
      }),
      method: Type.Optional(ref(HttpMethod))
    },
    { $id: 'CreateToolRequest', additionalProperties: false }
  ),
  {
    name: 'weather',
    description: 'The current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string', description: 'A city name' } }, required: ['city'] },
    url: 'https://example.com/weather',
    method: 'GET'
  }
)

export const ListToolsQuery = Type.Composite([
  PageQuery,
  Type.Object({
    category: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(StringEnum(['builtin', 'http']))
  })
])

export const ToolIdParams = Type.Object({ tool_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) })
