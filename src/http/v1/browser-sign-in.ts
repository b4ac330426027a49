import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { OAuthCallbackQuery, ProviderParams, SignInTokenQuery } from '../../../schemas/auth.js'
import { errors, ref } from '../../../schemas/common.js'
import { User } from '../../../schemas/users.js'
import { AUTHORIZATION_TTL_SECONDS } from '../../domain/browser-sign-in.js'
import { DomainError } from '../../domain/errors.js'
import { publicPath } from '../base-path.js'
import { isSecure, publicOrigin, sameSecret, setSessionCookies } from '../cookies.js'
import { OidcProviders } from '../oidc.js'
import { presentUser } from './presenters.js'

const tags = ['auth']
/** Where these routes live (under `BASE_PATH` when set); the provider's redirect URI is built from it. */
const AUTH_PATH = '/api/v1/auth'
/** The cookie that ties a callback to the browser that started the sign-in. */
const STATE_COOKIE = 'oauth_state'

function redirect(description: string) {
  return { type: 'null', description, headers: { location: { type: 'string', description: 'Where the browser goes next.' } } }
}

function callbackPath(provider: string): string {
  return `${AUTH_PATH}/${provider}/callback`
}

function stateCookieOptions(request: FastifyRequest, provider: string) {
  return { path: publicPath(request, callbackPath(provider)), httpOnly: true, sameSite: 'lax' as const, secure: isSecure(request) }
}

/** The page that finishes a sign-in when no `FRONTEND_URL` is set: it spends the token for the cookies. */
function signedInPage(reply: FastifyReply): string {
  const nonce = randomBytes(16).toString('base64')
  reply.header(
    'content-security-policy',
    `default-src 'none'; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`
  )
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Signing in</title></head>
<body><p id="status">Signing in…</p>
<script nonce="${nonce}">
const token = new URLSearchParams(location.search).get('token') || ''
history.replaceState(null, '', location.pathname)
const status = document.getElementById('status')
fetch('validate-token?token=' + encodeURIComponent(token), { credentials: 'same-origin' })
  .then(async (res) => {
    const body = await res.json()
    status.textContent = res.ok ? 'Signed in as ' + body.email + '. You can close this page.' : 'Sign-in failed: ' + body.detail
  })
  .catch(() => { status.textContent = 'Sign-in failed: the server did not answer.' })
</script></body></html>
`
}

/**
 * Browser sign-in with an OpenID Connect provider: the login redirect, the callback, the hand-over
 * of the finished sign-in to the front end, and the exchange of its one-time token for cookies.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { browserSignIn } = app.services
  const providers = new OidcProviders(app.config.oauthProviders)
  const redirectUri = (request: FastifyRequest, provider: string) => `${publicOrigin(request)}${publicPath(request, callbackPath(provider))}`

  app.get(
    '/:provider/login',
    {
      config: { auth: 'none', rateLimitClass: 'auth' },
      schema: {
        operationId: 'startProviderSignIn',
        tags,
        summary: 'Sign in with a provider',
        description:
          "Redirects the browser to the provider's sign-in page (authorization code flow with PKCE, `state` and `nonce`). " +
          'Sets a short-lived HttpOnly `oauth_state` cookie that ties the callback to this browser. Providers are ' +
          'configured with `OAUTH_<PROVIDER>_CLIENT_ID`, `OAUTH_<PROVIDER>_CLIENT_SECRET` and `OAUTH_<PROVIDER>_ISSUER`.',
        params: ProviderParams,
        response: { 302: redirect("To the provider's sign-in page"), ...errors(404, 502) }
      }
    },
    async (request, reply) => {
      const { provider } = request.params
      const started = await providers.authorizationRequest(provider, redirectUri(request, provider))
      browserSignIn.beginAuthorization(provider, started.state, { nonce: started.nonce, codeVerifier: started.codeVerifier })
      reply.setCookie(STATE_COOKIE, started.state, { ...stateCookieOptions(request, provider), maxAge: AUTHORIZATION_TTL_SECONDS })
      return reply.redirect(started.url.href)
    }
  )

  app.get(
    '/:provider/callback',
    {
      config: { auth: 'none', rateLimitClass: 'auth' },
      schema: {
        operationId: 'finishProviderSignIn',
        tags,
        summary: 'Where the provider sends the browser back',
        description:
          'Checks `state` against the `oauth_state` cookie and the sign-in started (each works once), exchanges the code ' +
          "with the PKCE verifier, verifies the ID token and its nonce, and signs in to the account linked to the provider's " +
          'subject, or to the account with the same email, or a new one. The email must be verified by the provider and ' +
          'allowed by `ALLOWED_EMAILS` (403 otherwise, and no session cookie is set). Redirects to ' +
          '`/api/v1/auth/login-success-redirect` with a one-time token.',
        params: ProviderParams,
        querystring: OAuthCallbackQuery,
        response: { 302: redirect('To `login-success-redirect`, with a one-time token'), ...errors(400, 401, 403, 404, 502) }
      }
    },
    async (request, reply) => {
      const { provider } = request.params
      const { state, error, error_description } = request.query
      providers.require(provider)
      const expected = request.cookies[STATE_COOKIE]
      reply.clearCookie(STATE_COOKIE, stateCookieOptions(request, provider))
      if (!state || !expected || !sameSecret(state, expected)) {
        throw new DomainError('OAUTH_STATE_INVALID', 'This sign-in was not started in this browser, or has expired; start again')
      }
      const pending = browserSignIn.takeAuthorization(provider, state)
      if (error) throw new DomainError('OAUTH_FAILED', `${provider} did not sign you in: ${error_description ?? error}`)
      const query = request.url.slice(request.url.indexOf('?'))
      const identity = await providers.identity(provider, new URL(redirectUri(request, provider) + query), state, pending)
      const user = browserSignIn.signIn(identity)
      const { token } = browserSignIn.issueSignInToken(user.id)
      return reply.redirect(publicPath(request, `${AUTH_PATH}/login-success-redirect?token=${encodeURIComponent(token)}`))
    }
  )

  app.get(
    '/login-success-redirect',
    {
      // It only passes the token on: an ordinary request, not one of the sign-in bucket.
      config: { auth: 'none' },
      schema: {
        operationId: 'handOverSignIn',
        tags,
        summary: 'Hand a finished sign-in to the front end',
        description:
          'Redirects to `FRONTEND_URL` with the one-time `token`, which the front end exchanges at ' +
          '`/api/v1/auth/validate-token` for the session cookies. Without `FRONTEND_URL`, answers a small page that does it.',
        querystring: SignInTokenQuery,
        response: {
          200: { description: 'A page that finishes the sign-in (no `FRONTEND_URL`)', content: { 'text/html': { schema: Type.String() } } },
          302: redirect('To `FRONTEND_URL` with `token`')
        }
      }
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      const frontend = app.config.frontendUrl
      if (frontend) {
        const url = new URL(frontend)
        url.searchParams.set('token', request.query.token)
        return reply.redirect(url.href)
      }
      return reply.type('text/html; charset=utf-8').send(signedInPage(reply))
    }
  )

  app.get(
    '/validate-token',
    {
      config: { auth: 'none', rateLimitClass: 'auth' },
      schema: {
        operationId: 'validateSignInToken',
        tags,
        summary: 'Exchange a one-time sign-in token for session cookies',
        description:
          'Spends the token (once, within two minutes) and starts a session: sets the HttpOnly cookies `access_token` ' +
          '(path `/`) and `refresh_token` (path `/api/v1/auth/refresh`), both under `BASE_PATH` when one is set, SameSite=Lax ' +
          'and Secure over https, and `csrf_token` (path `/`), readable by scripts, to echo in `X-CSRF-Token` on POST, PUT, PATCH and DELETE.',
        querystring: SignInTokenQuery,
        response: { 200: ref(User, 'The signed-in user; the cookies are set'), ...errors(401) }
      }
    },
    async (request, reply) => {
      const { user, tokens } = browserSignIn.redeemSignInToken(request.query.token)
      setSessionCookies(request, reply, tokens)
      return presentUser(user)
    }
  )
}

export default routes
