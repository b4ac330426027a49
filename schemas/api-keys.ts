import { Type } from '@sinclair/typebox'
import { PageOf, Timestamp, Uuid, example } from './common.js'

export const ApiKey = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    prefix: Type.String({ description: 'The first characters of the key, to tell keys apart.' }),
    created_at: Timestamp,
    last_used_at: Type.Union([Timestamp, Type.Null()])
  },
  { $id: 'ApiKey', additionalProperties: false }
)

export const CreatedApiKey = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    prefix: Type.String(),
    created_at: Timestamp,
    last_used_at: Type.Union([Timestamp, Type.Null()]),
    key: Type.String({ description: 'The key itself. It is shown only once; send it as `Authorization: Bearer <key>`.' })
  },
  { $id: 'CreatedApiKey', additionalProperties: false }
)

export const ApiKeyPage = PageOf(ApiKey, 'ApiKeyPage')

export const CreateApiKeyRequest = example(
  Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { $id: 'CreateApiKeyRequest', additionalProperties: false }),
  { name: 'Nightly report' }
)

export const ApiKeyIdParams = Type.Object({ id: Uuid })
