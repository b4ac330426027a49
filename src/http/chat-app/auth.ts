import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { ChatAppLoginRequest, ChatAppLoginResponse, ChatAppRegisterRequest } from '../../../schemas/chat-app/auth.js'
import { ChatAppUserProfile } from '../../../schemas/chat-app/users.js'
import { errors } from './errors.js'
import { userProfile } from './presenters.js'

const tags = ['auth']

/** `/api/auth`: the same accounts as everywhere; an account registered here signs in anywhere. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth, users } = app.services

  app.post(
    '/register',
    {
      config: { auth: 'none', rateLimitClass: 'auth', location: (user: { user_id: string }) => `/api/users/${user.user_id}` },
      schema: {
        operationId: 'register',
        tags,
        summary: 'Register an account',
        description: 'Creates an account and answers its profile. Emails are unique regardless of case; passwords have at least 8 characters.',
        body: ref(ChatAppRegisterRequest),
        response: { 201: ref(ChatAppUserProfile, 'The account was created'), ...errors(400, 409) }
      }
    },
    async (request, reply) => {
      const { email, password, name } = request.body
      return reply.code(201).send(userProfile(await auth.register({ email, password, full_name: name })))
    }
  )

  app.post(
    '/login',
    {
      config: { auth: 'none', rateLimitClass: 'auth' },
      schema: {
        operationId: 'login',
        tags,
        summary: 'Sign in',
        description: 'Answers an `access_token` to send as `Authorization: Bearer <access_token>`, and the signed-in `user_id`.',
        body: ref(ChatAppLoginRequest),
        response: { 200: ref(ChatAppLoginResponse, 'Signed in'), ...errors(400, 401, 403) }
      }
    },
    async (request) => {
      const { email, password } = request.body
      const tokens = await auth.login(email, password)
      return { ...tokens, user_id: users.findByEmail(email)!.id }
    }
  )
}

export default routes
