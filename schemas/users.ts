import { Type } from '@sinclair/typebox'
import { PageOf, PageQuery, Timestamp, StringEnum, Uuid, example } from './common.js'
import { Email, Password } from './auth.js'

export const User = example(
  Type.Object(
    {
      id: Uuid,
      email: Type.String({ format: 'email' }),
      full_name: Type.Union([Type.String(), Type.Null()]),
      role: StringEnum(['admin', 'user']),
      is_active: Type.Boolean(),
      created_at: Timestamp,
      updated_at: Timestamp
    },
    { $id: 'User', additionalProperties: false }
  ),
  {
    id: '01936f3c-1d2e-7a3b-8c4d-5e6f7a8b9c0d',
    email: 'ada@example.com',
    full_name: 'Ada Lovelace',
    role: 'user',
    is_active: true,
    created_at: '2024-01-15T10:30:00.000Z',
    updated_at: '2024-01-15T10:30:00.000Z'
  }
)

export const UserPage = PageOf(User, 'UserPage')

export const UpdateMeRequest = example(
  Type.Object(
    {
      full_name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
      email: Type.Optional(Email),
      password: Type.Optional(Password),
      current_password: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Required to change the password.' }))
    },
    { $id: 'UpdateMeRequest', additionalProperties: false }
  ),
  { full_name: 'Ada King' }
)

export const AdminUpdateUserRequest = example(
  Type.Object(
    {
      full_name: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
      email: Type.Optional(Email),
      password: Type.Optional(Password),
      role: Type.Optional(StringEnum(['admin', 'user'])),
      is_active: Type.Optional(Type.Boolean())
    },
    { $id: 'AdminUpdateUserRequest', additionalProperties: false }
  ),
  { full_name: 'Grace Hopper', role: 'user', is_active: true }
)

export const ListUsersQuery = Type.Composite([
  PageQuery,
  Type.Object({
    role: Type.Optional(StringEnum(['admin', 'user'])),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Matches email or name.' }))
  })
])

export const UserIdParams = Type.Object({ user_id: Uuid })
