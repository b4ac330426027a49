import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The files the service reads besides its code — the database migrations, the playground page,
 * the browser modules and Swagger UI files it serves — are found under one folder: the project's
 * root when it runs from its sources, or the folder a single executable unpacked its own copies
 * into at start (see `src/bin/`). Paths below it keep the project's layout
 * (`drizzle/…`, `public/…`, `node_modules/<package>/…`).
 */
let root: string | undefined

/** Serves resources from `dir` instead of the project's root; called before anything reads one. */
export function setResourceRoot(dir: string): void {
  root = dir
}

/** The absolute path of a resource, given its path from the project's root. */
export function resourcePath(...segments: string[]): string {
  root ??= fileURLToPath(new URL('..', import.meta.url))
  return join(root, ...segments)
}
