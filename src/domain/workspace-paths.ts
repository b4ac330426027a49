import { realpathSync } from 'node:fs'
import { dirname, posix } from 'node:path'
import { DomainError } from './errors.js'
import { MAX_PATH_LENGTH } from './workspaces.js'

const invalid = (why: string) => new DomainError('WORKSPACE_PATH_INVALID', `Invalid workspace path: ${why}`)

/** Whether `path` is `root` or lies under it, on whole segments (`/workspace-evil` is not under `/workspace`). */
export function isWithin(root: string, path: string): boolean {
  if (root === '/') return path.startsWith('/')
  return path === root || path.startsWith(`${root}/`)
}

/** The real path of the nearest ancestor of `path` (itself included) that exists. */
function realAncestor(path: string, realpath: (p: string) => string): string {
  let current = path
  for (;;) {
    try {
      return realpath(current)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw invalid('it cannot be resolved')
      const parent = dirname(current)
      if (parent === current) return current
      current = parent
    }
  }
}

/**
 * Checks a path a dispatch workspace lives at, and returns it: absolute, normalized (no `.`, `..`,
 * doubled or trailing slash), strictly under `root`, and not escaping it through a symbolic link:
 * the real path of the nearest part of it that exists must still be under the real root. The
 * folder itself need not exist yet; sessions create it.
 */
export function checkDispatchPath(path: string, root: string, realpath: (p: string) => string = realpathSync): string {
  if (!path.startsWith('/')) throw invalid('must be absolute path')
  if (path.length > MAX_PATH_LENGTH) throw invalid(`must be at most ${MAX_PATH_LENGTH} characters`)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u001f\u007f\\]/.test(path)) throw invalid('must not contain control characters or backslashes')
  const segments = path.split('/').slice(1)
  if (segments.includes('..')) throw invalid('path traversal is not allowed')
  if (segments.some((s) => s === '.' || s === '') || posix.normalize(path) !== path) throw invalid('must be normalized')
  if (path === root || !isWithin(root, path)) throw invalid(`must be within the workspace root ${root}`)
  // When the root does not exist yet, nothing under it does: both resolve to the same ancestor.
  if (!isWithin(realAncestor(root, realpath), realAncestor(path, realpath))) throw invalid(`must be within the workspace root ${root}`)
  return path
}
