import { Type } from '@sinclair/typebox'

export const Email = Type.String({ format: 'email', maxLength: 254, examples: ['user@example.com'] })
export const Password = Type.String({
  minLength: 8,
  maxLength: 256,
  description: 'At least 8 characters, and not easy to guess: common passwords, single words, repeats and keyboard runs are refused (422 `WEAK_PASSWORD`).'
})

export const RegisterRequest = Type.Object(
  {
    email: Email,
    password: Password,
    full_name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]))
  },
  { $id: 'RegisterRequest', additionalProperties: false }
)

export const LoginRequest = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 256 })
  },
  { $id: 'LoginRequest', additionalProperties: false }
)

export const RefreshRequest = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 512 }) },
  { $id: 'RefreshRequest', additionalProperties: false }
)

export const LogoutRequest = Type.Object(
  { refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) },
  { $id: 'LogoutRequest', additionalProperties: false }
)

export const TokenResponse = Type.Object(
  {
    access_token: Type.String({ description: 'A JWT; send it as `Authorization: Bearer <access_token>`.' }),
    refresh_token: Type.String({ description: 'Opaque; works once, exchange it at `/auth/refresh`.' }),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires.', examples: [1800] })
  },
  { $id: 'TokenResponse', additionalProperties: false }
)
