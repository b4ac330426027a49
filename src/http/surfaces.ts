import type { FastifyReply } from 'fastify'
import type { Failure } from './errors.js'
import { sendV1Error } from './v1/errors.js'

/**
 * A surface is one API document served over the shared core: its own paths and its own error
 * body. The root error and not-found handlers pick the surface by path, so every failure, even
 * on an unknown route, comes back in the shape of the document the client speaks.
 */
export interface Surface {
  name: string
  matches(path: string): boolean
  sendError(reply: FastifyReply, failure: Failure): FastifyReply
}

/** v1 (documents 002 and 004) is canonical: it answers for any path no other surface claims. */
export const v1Surface: Surface = {
  name: 'v1',
  matches: () => true,
  sendError: sendV1Error
}

export class SurfaceRegistry {
  private readonly surfaces: Surface[] = []

  constructor(private readonly fallback: Surface = v1Surface) {}

  add(surface: Surface): void {
    this.surfaces.push(surface)
  }

  forPath(url: string): Surface {
    const path = url.split('?')[0] ?? url
    return this.surfaces.find((s) => s.matches(path)) ?? this.fallback
  }
}
