// What the service's bundles (`dist/server.js`, the test bundles under `.build/test/`) take from
// node_modules, and what they leave there.
//
// Loading one bundled file is much cheaper than resolving and compiling the several hundred
// modules of the packages one by one: it halves the service's start and a test process's setup.
// A package stays outside the bundle, loaded from node_modules as usual, when it
//  - has a native part (better-sqlite3, argon2, node-pty);
//  - reads files that sit beside its own code (through `__dirname` or `import.meta.url`), which
//    in a bundle would point at the bundle's folder instead;
//  - is loaded only when first used (the vendor SDKs and undici), so the bundle does not make
//    every start pay for it;
//  - is a tool of the tests or the build (tap, Chromium's driver, esbuild).
// The `locationGuard` plugin fails a build that would bundle a package reading its own files,
// unless the package is known not to need them (KNOWN_HARMLESS says why for each).

/** Packages loaded from node_modules at run time, not bundled. */
export const EXTERNAL_PACKAGES = [
  // Native addons.
  'better-sqlite3',
  'argon2',
  'node-pty',
  // Read files beside their code.
  '@fastify/swagger-ui', // static/ (Swagger UI's page and scripts)
  'socket.io', // client-dist/ (the browser client it serves)
  'pino', // its transport worker (lib/worker.js) for LOG_FORMAT=pretty
  'pino-pretty',
  'thread-stream',
  '@seriousme/openapi-schema-validator', // the OpenAPI meta-schemas
  '@asyncapi/parser',
  // Loaded on first use.
  'openai',
  '@anthropic-ai/sdk',
  '@aws-sdk/*',
  '@smithy/*',
  'groq-sdk',
  'undici',
  // Test and build tools.
  'tap',
  '@tapjs/*',
  'playwright-core',
  'esbuild',
  'postject',
  'oauth2-mock-server'
]

/**
 * Bundled packages whose code names `__dirname`, `__filename` or `import.meta.url` without needing
 * it in the service: in the bundle these name the bundle's own file.
 */
const KNOWN_HARMLESS = {
  // Reads its own package.json for a document's default `info`, which the service always sets.
  '@fastify/swagger': true
}

/**
 * Bundled CommonJS code calls `require` for Node's built-in modules and reads `__dirname`; an ES
 * module has neither, so the bundle defines them at its top.
 */
export const ESM_BANNER = [
  "import { createRequire as __createRequire } from 'node:module';",
  "import { fileURLToPath as __fileURLToPath } from 'node:url';",
  'const require = __createRequire(import.meta.url);',
  'const __filename = __fileURLToPath(import.meta.url);',
  "const __dirname = __fileURLToPath(new URL('.', import.meta.url));"
].join(' ')

const packageOf = (path) => /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(path)?.[1]?.replace('\\', '/')

/** Fails the build when a bundled package names its own location (see KNOWN_HARMLESS). */
export const locationGuard = {
  name: 'location-guard',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.(c|m)?js$/ }, async ({ path }) => {
      const pkg = packageOf(path)
      if (!pkg || KNOWN_HARMLESS[pkg]) return undefined
      const { readFile } = await import('node:fs/promises')
      if (!/\b__dirname\b|\b__filename\b|import\.meta\.url/.test(await readFile(path, 'utf8'))) return undefined
      return { errors: [{ text: `${pkg} names its own location (${path}): add it to EXTERNAL_PACKAGES or KNOWN_HARMLESS in scripts/bundling.mjs` }] }
    })
  }
}
