import * as client from 'openid-client'
import type { OAuthProviderConfig } from '../config.js'
import type { PendingAuthorization, ProviderIdentity } from '../domain/browser-sign-in.js'
import { DomainError } from '../domain/errors.js'

/** How long discovery and the token exchange may take before the sign-in fails. */
const PROVIDER_TIMEOUT_SECONDS = 10

/** An authorization request to send the browser to, with what its callback must be checked against. */
export interface AuthorizationRequest extends PendingAuthorization {
  url: URL
  state: string
}

/**
 * The OpenID Connect providers browser sign-in offers, with `openid-client`: discovery (once per
 * provider, retried after a failure), the authorization request (code flow with PKCE S256, `state`
 * and `nonce`), and the callback: the code exchanged, the ID token checked (signature against the
 * provider's keys, issuer, audience, expiry, nonce) and its claims returned.
 */
export class OidcProviders {
  private readonly configurations = new Map<string, Promise<client.Configuration>>()

  constructor(private readonly providers: Record<string, OAuthProviderConfig>) {}

  /** The configured provider's settings; an unknown name is a 404. */
  private settings(name: string): OAuthProviderConfig {
    const settings = Object.hasOwn(this.providers, name) ? this.providers[name] : undefined
    if (!settings) {
      const known = Object.keys(this.providers)
      throw new DomainError(
        'OAUTH_PROVIDER_NOT_FOUND',
        `No sign-in provider named "${name}" is configured${known.length ? ` (configured: ${known.join(', ')})` : ''}`
      )
    }
    return settings
  }

  /** Throws the 404 of an unknown provider before anything else happens. */
  require(name: string): void {
    this.settings(name)
  }

  private configuration(name: string): Promise<client.Configuration> {
    const settings = this.settings(name)
    let configuration = this.configurations.get(name)
    if (!configuration) {
      const issuer = new URL(settings.issuer)
      const auth = settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None()
      configuration = client
        .discovery(issuer, settings.clientId, undefined, auth, {
          timeout: PROVIDER_TIMEOUT_SECONDS,
          // Plain http is accepted by the configuration only for a loopback issuer (local testing).
          execute: [...(issuer.protocol === 'http:' ? [client.allowInsecureRequests] : []), client.enableNonRepudiationChecks]
        })
        .catch((error: unknown) => {
          this.configurations.delete(name)
          throw new DomainError('OAUTH_PROVIDER_UNAVAILABLE', `Could not reach the sign-in provider "${name}": ${messageOf(error)}`)
        })
      this.configurations.set(name, configuration)
    }
    return configuration
  }

  /** Where to send the browser to sign in with a provider, coming back to `redirectUri`. */
  async authorizationRequest(name: string, redirectUri: string): Promise<AuthorizationRequest> {
    const configuration = await this.configuration(name)
    const codeVerifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce
    })
    return { url, state, nonce, codeVerifier }
  }

  /**
   * Finishes a sign-in at the callback: `callbackUrl` is the redirect URI with the query the
   * provider sent. Returns who the verified ID token says signed in.
   */
  async identity(name: string, callbackUrl: URL, state: string, pending: PendingAuthorization): Promise<ProviderIdentity> {
    const configuration = await this.configuration(name)
    let claims: client.IDToken | undefined
    try {
      const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true
      })
      claims = tokens.claims()
    } catch (error) {
      throw new DomainError('OAUTH_FAILED', `Signing in with "${name}" failed: ${messageOf(error)}`)
    }
    if (!claims) throw new DomainError('OAUTH_FAILED', `Signing in with "${name}" failed: no ID token`)
    const verified = claims.email_verified
    return {
      provider: name,
      subject: claims.sub,
      email: typeof claims.email === 'string' ? claims.email : undefined,
      emailVerified: verified === true || verified === 'true',
      name: typeof claims.name === 'string' ? claims.name : undefined
    }
  }
}

function messageOf(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError) {
    return error.error_description ? `${error.error}: ${error.error_description}` : error.error
  }
  return error instanceof Error ? error.message : String(error)
}
