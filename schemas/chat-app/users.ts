import { Type } from '@sinclair/typebox'
import { ref } from '../common.js'
import { Id, Uuid } from './common.js'

export const ChatAppUserProfile = Type.Object(
  {
    user_id: Uuid,
    email: Type.String({ format: 'email' }),
    name: Type.Union([Type.String(), Type.Null()], { description: 'Null for an account registered elsewhere without a name.' }),
    profile_picture: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: 'A picture URL; null when the user has none.' })
  },
  { $id: 'ChatAppUserProfile', additionalProperties: false }
)

export const ChatAppUserProfiles = Type.Array(ref(ChatAppUserProfile), { $id: 'ChatAppUserProfiles' })

export const UserIdParams = Type.Object({ user_id: Id })
