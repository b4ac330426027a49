import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'

const OUTSIDE = Symbol('outsideBasePath')

/**
 * The whole service under a path prefix (`BASE_PATH`), for a proxy that forwards `/base/...`
 * unchanged. Requests (and WebSocket upgrades, which route through Fastify too) have the prefix
 * taken off before routing, so routes, surfaces and their error bodies are declared once, without
 * it; a request outside the prefix is marked, and answered 404 (`isOutsideBasePath`).
 */
export function basePathRewriter(basePath: string): ((req: IncomingMessage) => string) | undefined {
  if (!basePath) return undefined
  return (req) => {
    const url = req.url ?? '/'
    if (url === basePath || url.startsWith(`${basePath}/`) || url.startsWith(`${basePath}?`)) {
      const rest = url.slice(basePath.length)
      return rest.startsWith('/') ? rest : `/${rest}`
    }
    ;(req as IncomingMessage & { [OUTSIDE]?: true })[OUTSIDE] = true
    return url
  }
}

/** Whether a request came outside `BASE_PATH` (when one is set). */
export function isOutsideBasePath(req: IncomingMessage): boolean {
  return (req as IncomingMessage & { [OUTSIDE]?: true })[OUTSIDE] === true
}

/**
 * A path of ours as browsers and providers must see it: under `BASE_PATH` when one is set. Routes
 * are declared without the prefix; what goes out (redirects, redirect URIs, cookie paths) needs it.
 */
export function publicPath(request: FastifyRequest, path: string): string {
  return `${request.server.config.basePath}${path}`
}
