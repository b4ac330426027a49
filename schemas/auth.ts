import { Type } from '@sinclair/typebox'
import { example } from './common.js'

export const Email = Type.String({ format: 'email', maxLength: 254, examples: ['user@example.com'] })
export const Password = Type.String({
  minLength: 8,
  maxLength: 256,
  description: 'At least 8 characters, and not easy to guess: common passwords, single words, repeats and keyboard runs are refused (422 `WEAK_PASSWORD`).'
})

export const RegisterRequest = example(
  Type.Object(
    {
      email: Email,
      password: Password,
      full_name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]))
    },
    { $id: 'RegisterRequest', additionalProperties: false }
  ),
  { email: 'ada@example.com', password: 'violet harbor 71 lantern', full_name: 'Ada Lovelace' }
)

export const LoginRequest = example(
  Type.Object(
    {
      email: Type.String({ minLength: 1, maxLength: 254 }),
      password: Type.String({ minLength: 1, maxLength: 256 })
    },
    { $id: 'LoginRequest', additionalProperties: false }
  ),
  { email: 'ada@example.com', password: 'violet harbor 71 lantern' }
)

export const RefreshRequest = example(
  Type.Object(
    {
      refresh_token: Type.Optional(
        Type.String({ minLength: 1, maxLength: 512, description: 'The refresh token; a browser leaves it out and sends the `refresh_token` cookie.' })
      )
    },
    { $id: 'RefreshRequest', additionalProperties: false }
  ),
  { refresh_token: 'the refresh_token that POST /api/v1/auth/login answered' }
)

export const LogoutRequest = example(
  Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) }, { $id: 'LogoutRequest', additionalProperties: false }),
  { refresh_token: 'the refresh_token that POST /api/v1/auth/login answered' }
)

export const TokenResponse = example(
  Type.Object(
    {
      access_token: Type.String({ description: 'A JWT; send it as `Authorization: Bearer <access_token>`.' }),
      refresh_token: Type.String({ description: 'Opaque; works once, exchange it at `/auth/refresh`.' }),
      token_type: Type.Literal('bearer'),
      expires_in: Type.Integer({ description: 'Seconds until the access token expires.', examples: [1800] })
    },
    { $id: 'TokenResponse', additionalProperties: false }
  ),
  {
    access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzNmYzYy0xZDJlLTdhM2ItOGM0ZC01ZTZmN2E4YjljMGQifQ.c2lnbmF0dXJl',
    refresh_token: 'rt_Yk3q9vX2mZpL8sT1wQ4nB7cE',
    token_type: 'bearer',
    expires_in: 1800
  }
)

/** The name of a configured sign-in provider, as in `OAUTH_<PROVIDER>_CLIENT_ID`, lower-cased. */
export const ProviderParams = Type.Object({
  provider: Type.String({ pattern: '^[a-z0-9]{1,40}$', description: 'A configured provider, e.g. `google`.', examples: ['google'] })
})

/** What a provider sends back to the callback (providers may add parameters of their own). */
export const OAuthCallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4096, description: 'The authorization code.' })),
    state: Type.Optional(Type.String({ maxLength: 512, description: 'The `state` of the authorization request.' })),
    iss: Type.Optional(Type.String({ maxLength: 2048 })),
    error: Type.Optional(Type.String({ maxLength: 256, description: 'Set instead of `code` when the provider refused.' })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 }))
  },
  { additionalProperties: true }
)

export const SignInTokenQuery = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 256, description: 'The one-time sign-in token the callback handed out.' })
})
