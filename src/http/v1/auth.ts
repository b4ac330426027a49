import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { errors, NoContent, ref } from '../../../schemas/common.js'
import { LoginRequest, LogoutRequest, RefreshRequest, RegisterRequest, TokenResponse } from '../../../schemas/auth.js'
import { User } from '../../../schemas/users.js'
import { DomainError } from '../../domain/errors.js'
import { principalOf } from '../auth.js'
import { checkCsrf, clearSessionCookies, REFRESH_COOKIE, setSessionCookies } from '../cookies.js'
import { presentUser } from './presenters.js'

const tags = ['auth']

/** A browser signed in with cookies may POST to `/refresh` and `/logout` without a body: it reads as `{}`. */
async function noBodyIsEmpty(request: FastifyRequest) {
  request.body ??= {}
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { auth, users } = app.services

  app.post(
    '/register',
    {
      config: { auth: 'none', rateLimitClass: 'auth', location: (user: { id: string }) => `/api/v1/users/${user.id}` },
      schema: {
        operationId: 'register',
        tags,
        summary: 'Register a new account',
        description:
          'Creates an account. The first account registered is an admin. Emails are unique regardless of case. ' +
          'A password that is easy to guess (a common one, a word, a repeat, the email itself) is 422 `WEAK_PASSWORD`.',
        body: ref(RegisterRequest),
        response: { 201: ref(User, 'The account was created'), ...errors(400, 409, 422) }
      }
    },
    async (request, reply) => reply.code(201).send(presentUser(await auth.register(request.body)))
  )

  app.post(
    '/login',
    {
      config: { auth: 'none', rateLimitClass: 'auth' },
      schema: {
        operationId: 'login',
        tags,
        summary: 'Sign in and get tokens',
        description:
          'An unknown email, a wrong password and a disabled account all answer 401 `INVALID_CREDENTIALS`. After 5 failed ' +
          'sign-ins an account is locked for 30 s, then twice as long after each further 5 failures, at most 5 minutes: ' +
          'meanwhile every sign-in to it answers 429 `TOO_MANY_ATTEMPTS` with `Retry-After`.',
        body: ref(LoginRequest),
        response: { 200: ref(TokenResponse, 'A new access token and refresh token'), ...errors(400, 401, 422) }
      }
    },
    async (request) => auth.login(request.body.email, request.body.password)
  )

  app.post(
    '/refresh',
    {
      config: { auth: 'none', rateLimitClass: 'auth' },
      preValidation: noBodyIsEmpty,
      schema: {
        operationId: 'refreshToken',
        tags,
        summary: 'Exchange a refresh token for new tokens',
        description:
          'Each refresh token works once and is replaced by the new one returned. Presenting a used refresh token ' +
          'revokes every token of its session, except a retry within 20 seconds while the token it was exchanged for is ' +
          'still unused (two tabs refreshing at once): that gets a new pair of the same session. A browser signed in ' +
          'with cookies sends no body: the `refresh_token` cookie is used, the new tokens are set as cookies (204), ' +
          'and the CSRF check of cookie-authenticated requests applies (`X-CSRF-Token`).',
        body: ref(RefreshRequest),
        response: {
          200: ref(TokenResponse, 'A new access token and refresh token'),
          204: { ...NoContent, description: 'Refreshed from the `refresh_token` cookie: new cookies are set' },
          ...errors(400, 401, 403, 422)
        }
      }
    },
    async (request, reply) => {
      const given = request.body?.refresh_token
      if (given) return auth.refresh(given)
      const cookie = request.cookies[REFRESH_COOKIE]
      if (!cookie) throw new DomainError('INVALID_REFRESH_TOKEN', 'No refresh token: send refresh_token, or the refresh_token cookie')
      checkCsrf(request)
      setSessionCookies(request, reply, auth.refresh(cookie))
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/logout',
    {
      preValidation: noBodyIsEmpty,
      schema: {
        operationId: 'logout',
        tags,
        summary: 'Sign out and revoke the session',
        description:
          "Revokes the caller's session: its refresh tokens and its access tokens stop working. Clears the cookies of a " +
          'browser sign-in (`access_token`, `refresh_token`, `csrf_token`). The body may be left out.',
        body: ref(LogoutRequest),
        response: { 204: { ...NoContent, description: 'Signed out' }, ...errors(400, 401, 422) }
      }
    },
    async (request, reply) => {
      auth.logout(principalOf(request), request.body?.refresh_token ?? request.cookies[REFRESH_COOKIE])
      clearSessionCookies(request, reply)
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/me',
    {
      schema: {
        operationId: 'getAuthenticatedUser',
        tags,
        summary: 'The signed-in user',
        description: "The account the request's credential (an access token, an API key or the sign-in cookie) belongs to; the same as `GET /api/v1/users/me`.",
        response: { 200: ref(User, 'The signed-in user'), ...errors(401) }
      }
    },
    async (request) => presentUser(users.me(principalOf(request)))
  )
}

export default routes
