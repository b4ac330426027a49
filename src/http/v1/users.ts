import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors, NoContent, ref } from '../../../schemas/common.js'
import { AdminUpdateUserRequest, ListUsersQuery, UpdateMeRequest, User, UserIdParams, UserPage } from '../../../schemas/users.js'
import { principalOf } from '../auth.js'
import { presentUser, v1Page } from './presenters.js'

const tags = ['users']

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.services

  app.get(
    '/me',
    {
      schema: {
        operationId: 'getCurrentUser',
        tags,
        summary: 'Get the current user profile',
        description: "The caller's own account: email, name, role and whether it is active.",
        response: { 200: ref(User, 'The current user'), ...errors(401) }
      }
    },
    async (request) => presentUser(users.me(principalOf(request)))
  )

  app.put(
    '/me',
    {
      schema: {
        operationId: 'updateCurrentUser',
        tags,
        summary: 'Update the current user profile',
        description: 'Changing the password needs `current_password`.',
        body: ref(UpdateMeRequest),
        response: { 200: ref(User, 'The user'), ...errors(400, 401, 409, 422) }
      }
    },
    async (request) => presentUser(await users.updateMe(principalOf(request), request.body))
  )

  app.get(
    '/',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listUsers',
        tags,
        summary: 'List users (admin only)',
        description: 'Every account, a page at a time; `role` keeps one role, `q` the accounts whose email or name contains it. Others than admins get 403.',
        querystring: ListUsersQuery,
        response: { 200: ref(UserPage, 'A page of users'), ...errors(401, 403, 422) }
      }
    },
    async (request) => v1Page(users.list(principalOf(request), request.query), presentUser)
  )

  app.get(
    '/:user_id',
    {
      schema: {
        operationId: 'getUser',
        tags,
        summary: 'Get a user (admin, or the user themself)',
        description: "One account by id: a user may read their own, an admin anyone's; anyone else gets 403 `ADMIN_REQUIRED`.",
        params: UserIdParams,
        response: { 200: ref(User, 'The user'), ...errors(401, 403, 404, 422) }
      }
    },
    async (request) => presentUser(users.get(principalOf(request), request.params.user_id))
  )

  app.put(
    '/:user_id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'updateUser',
        tags,
        summary: 'Update a user (admin only)',
        description: 'Admins can change roles. The last active admin cannot be demoted or disabled.',
        params: UserIdParams,
        body: ref(AdminUpdateUserRequest),
        response: { 200: ref(User, 'The user'), ...errors(400, 401, 403, 404, 409, 422) }
      }
    },
    async (request) => presentUser(await users.adminUpdate(principalOf(request), request.params.user_id, request.body))
  )

  app.delete(
    '/:user_id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'deleteUser',
        tags,
        summary: 'Delete a user (admin only)',
        description:
          'Deletes the account with its sessions, API keys and files, and the conversations that were theirs alone; conversations others took part in stay, their messages kept without a sender. The last active admin cannot be deleted (409).',
        params: UserIdParams,
        response: { 204: { ...NoContent, description: 'The user was deleted' }, ...errors(401, 403, 404, 409, 422) }
      }
    },
    async (request, reply) => {
      users.delete(principalOf(request), request.params.user_id)
      return reply.code(204).send(null)
    }
  )
}

export default routes
