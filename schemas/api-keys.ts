import { Type } from '@sinclair/typebox'
import { PageOf, Timestamp, Uuid, example } from './common.js'

export const ApiKey = example(
  Type.Object(
    {
      id: Uuid,
      name: Type.String(),
      prefix: Type.String({ description: 'The first characters of the key, to tell keys apart.' }),
      created_at: Timestamp,
      last_used_at: Type.Union([Timestamp, Type.Null()])
    },
    { $id: 'ApiKey', additionalProperties: false }
  ),
  {
    id: '01936f3c-7f60-7a99-9376-8192a3b4c5d6',
    name: 'CI',
    prefix: 'ak_3f9c2b',
    created_at: '2024-01-15T10:30:00.000Z',
    last_used_at: '2024-01-15T10:31:12.000Z'
  }
)

export const CreatedApiKey = example(
  Type.Object(
    {
      id: Uuid,
      name: Type.String(),
      prefix: Type.String(),
      created_at: Timestamp,
      last_used_at: Type.Union([Timestamp, Type.Null()]),
      key: Type.String({ description: 'The key itself. It is shown only once; send it as `Authorization: Bearer <key>`.' })
    },
    { $id: 'CreatedApiKey', additionalProperties: false }
  ),
  {
    id: '01936f3c-7f60-7a99-9376-8192a3b4c5d6',
    name: 'CI',
    prefix: 'ak_3f9c2b',
    created_at: '2024-01-15T10:30:00.000Z',
    last_used_at: null,
    key: 'ak_3f9c2b7d1e8a4c6f9b0d2e5a7c1f3b8d'
  }
)

export const ApiKeyPage = PageOf(ApiKey, 'ApiKeyPage')

export const CreateApiKeyRequest = example(
  Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { $id: 'CreateApiKeyRequest', additionalProperties: false }),
  { name: 'Nightly report' }
)

export const ApiKeyIdParams = Type.Object({ id: Uuid })
