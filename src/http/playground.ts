import { readFile } from 'node:fs/promises'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { resourcePath } from '../resources.js'

/**
 * `/playground`: a page to try the service in a browser (sign in, pick or create an assistant,
 * chat, watch the reply stream over `/ws`). Plain files from `public/playground/`, with no
 * build step; the one library it imports is the project's SDK, committed as a browser module
 * (`public/playground/vendor/sdk.mjs`, bundled by `npm run sdk`). The page is not part of the
 * API, so it is left out of the OpenAPI documents.
 */
export default async function playground(app: FastifyInstance, options: { basePath: string }): Promise<void> {
  const file = (path: string) => {
    let text: Promise<string> | undefined
    return () => {
      text ??= readFile(path, 'utf8')
      return text
    }
  }
  // The page's relative links resolve against `<base href>`, which follows BASE_PATH.
  const page = file(resourcePath('public/playground/index.html'))

  app.get('/playground', { schema: { hide: true } }, async (_request, reply) => {
    const html = (await page()).replace('<base href="/playground/">', `<base href="${options.basePath}/playground/">`)
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html)
  })
  await app.register(fastifyStatic, { root: resourcePath('public/playground'), prefix: '/playground/', index: false, decorateReply: false })
}
