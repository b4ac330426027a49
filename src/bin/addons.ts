import { resourcePath } from '../resources.js'

const loaded = new Map<string, unknown>()

/**
 * Loads a native module from the folder the executable unpacked its files into. The bundle
 * routes the packages' own loaders (`bindings`, `node-gyp-build`, node-pty's) here; see
 * `scripts/build-bin.ts`. Each file is loaded once, as `require` would.
 */
export function loadAddon(path: string): unknown {
  if (!loaded.has(path)) {
    const module = { exports: {} }
    process.dlopen(module, resourcePath(path))
    loaded.set(path, module.exports)
  }
  return loaded.get(path)
}
