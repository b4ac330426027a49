import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ref } from '../../../schemas/common.js'
import { AccessToken, Credentials, Msg, Registered, RegisterRequest, UpdateUserRequest, UserEnvelope } from '../../../schemas/classic/index.js'
import { principalOf } from '../auth.js'
import { bodyIsOptional, errors } from './errors.js'
import { presentUser } from './presenters.js'

/** Registration, sign-in and the caller's own settings. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth, users } = app.services

  app.post(
    '/register',
    {
      config: { auth: 'none', rateLimitClass: 'auth' },
      schema: {
        operationId: 'register',
        tags: ['user'],
        summary: 'Create a new user',
        description:
          'Answers 400 `Missing JSON in request` without a JSON body, `Missing email/password parameter` without ' +
          'either, and `User already exists` for an email already registered (regardless of case).',
        body: ref(RegisterRequest),
        response: { 200: ref(Registered, 'The user was created'), ...errors(400) }
      }
    },
    async (request) => {
      const user = await auth.register({ email: request.body.email, password: request.body.password })
      return { msg: 'User created successfully' as const, email: user.email }
    }
  )

  app.post(
    '/auth/login',
    {
      config: { auth: 'none', rateLimitClass: 'auth' },
      schema: {
        operationId: 'login',
        tags: ['user'],
        summary: 'Sign in and get an access token',
        description: 'Answers 404 `User not found` for an unknown email and 401 `Incorrect password.` for a wrong password.',
        body: ref(Credentials),
        response: { 200: ref(AccessToken, 'An access token'), ...errors(400, 401, 403, 404) }
      }
    },
    async (request) => {
      const tokens = await auth.login(request.body.email, request.body.password, { revealUnknownEmail: true })
      return { access_token: tokens.access_token }
    }
  )

  app.get(
    '/user',
    {
      schema: {
        operationId: 'getUser',
        tags: ['user'],
        summary: "The signed-in user's settings",
        description: 'The signed-in user\'s account, as `{"user": {...}}`.',
        response: { 200: ref(UserEnvelope, 'The user'), ...errors(404) }
      }
    },
    async (request) => ({ user: presentUser(users.me(principalOf(request))) })
  )

  app.put(
    '/user',
    {
      preValidation: bodyIsOptional,
      schema: {
        operationId: 'updateUser',
        tags: ['user'],
        summary: "Update the signed-in user's settings",
        description: 'The JSON body is optional. Changes the email address when one is given; another user’s email answers 400 `User already exists`.',
        body: ref(UpdateUserRequest),
        response: { 200: ref(Msg, '`{"msg": "User updated"}`'), ...errors(400, 404) }
      }
    },
    async (request) => {
      await users.updateMe(principalOf(request), { email: request.body.email })
      return { msg: 'User updated' }
    }
  )

  app.get(
    '/ping',
    {
      config: { auth: 'none', rateLimitClass: 'none' },
      schema: {
        operationId: 'ping',
        tags: ['utility'],
        summary: 'Check that the service answers',
        description: 'Answers `{"msg": "pong"}`. Needs no credential and is never rate limited.',
        response: { 200: ref(Msg, '`{"msg": "pong"}`') }
      }
    },
    async () => ({ msg: 'pong' })
  )
}

export default routes
