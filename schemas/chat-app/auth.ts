import { Type } from '@sinclair/typebox'
import { example } from '../common.js'
import { Uuid } from './common.js'

export const ChatAppRegisterRequest = example(
  Type.Object(
    {
      email: Type.String({ format: 'email', maxLength: 254, examples: ['user@example.com'] }),
      password: Type.String({ minLength: 8, maxLength: 256, description: 'At least 8 characters.' }),
      name: Type.String({ minLength: 1, maxLength: 200, examples: ['John Doe'] })
    },
    { $id: 'ChatAppRegisterRequest' }
  ),
  { email: 'john@example.com', password: 'violet harbor 71 lantern', name: 'John Doe' }
)

export const ChatAppLoginRequest = example(
  Type.Object(
    {
      email: Type.String({ minLength: 1, maxLength: 254 }),
      password: Type.String({ minLength: 1, maxLength: 256 })
    },
    { $id: 'ChatAppLoginRequest' }
  ),
  { email: 'john@example.com', password: 'violet harbor 71 lantern' }
)

export const ChatAppLoginResponse = Type.Object(
  {
    access_token: Type.String({ description: 'A JWT, valid 30 minutes: send it as `Authorization: Bearer <access_token>`.' }),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires.', examples: [1800] }),
    refresh_token: Type.String({ description: 'Opaque and single-use: exchange it for new tokens at `POST /api/v1/auth/refresh`.' }),
    user_id: { ...Uuid, description: 'The signed-in user: the `sender_id` of their messages.' }
  },
  { $id: 'ChatAppLoginResponse', additionalProperties: false }
)
