import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { ChatAppUserProfile, ChatAppUserProfiles, UserIdParams } from '../../../schemas/chat-app/users.js'
import { principalOf } from '../auth.js'
import { errors } from './errors.js'
import { userProfile } from './presenters.js'

const tags = ['users']

/** `/api/users`: who one can talk to. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.services

  app.get(
    '/',
    {
      schema: {
        operationId: 'listUsers',
        tags,
        summary: 'All users',
        description: 'Every active account, oldest first (also at `/api/users/`).',
        response: { 200: ref(ChatAppUserProfiles, 'The users'), ...errors(401) }
      }
    },
    async (request) => users.directory(principalOf(request)).map(userProfile)
  )

  app.get(
    '/:user_id',
    {
      schema: {
        operationId: 'getUser',
        tags,
        summary: "A user's profile",
        description: "A user's public profile. An unknown id, well-formed or not, is a 404.",
        params: UserIdParams,
        response: { 200: ref(ChatAppUserProfile, 'The profile'), ...errors(401, 404) }
      }
    },
    async (request) => userProfile(users.profile(principalOf(request), request.params.user_id))
  )
}

export default routes
