import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { AgentDownloadQuery } from '../../../schemas/classic/index.js'
import { isDomainError } from '../../domain/errors.js'

/** The answers of the agent download are plain text, but for a missing name (`{"error"}`). */
const Text = (description: string) => ({ description, content: { 'text/plain': { schema: Type.String() } } })

/** Installs agent packages from the registry folder (`AGENT_REGISTRY_DIR`) as assistants. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { agentPackages } = app.services

  app.get(
    '/agent/download',
    {
      config: { auth: 'none' },
      schema: {
        operationId: 'downloadAgent',
        tags: ['agent'],
        summary: 'Install an agent package',
        description:
          'Installs the package `query` (at `version`, or its highest version) from the registry folder as an assistant every ' +
          'user can add to a workspace. Installing a package again finds the same assistant. The answers are plain text.',
        querystring: AgentDownloadQuery,
        response: {
          200: Text('"Successfully installed <name>:<version>"'),
          400: { description: `{"error": "Missing param 'query'"}`, content: { 'application/json': { schema: Type.Object({ error: Type.String() }) } } },
          404: Text('"Package not found: <name>:<version>"'),
          502: Text('"Failed to download package: <name>:<version>, <details>": the package cannot be installed')
        }
      }
    },
    async (request, reply) => {
      const { query, version } = request.query
      if (!query) return reply.code(400).send({ error: "Missing param 'query'" })
      const wanted = `${query}:${version ?? 'latest'}`
      const text = (status: 200 | 404 | 502, words: string) => reply.code(status).type('text/plain; charset=utf-8').send(words)
      try {
        const installed = await agentPackages.install(query, version)
        return text(200, `Successfully installed ${installed.name}:${installed.version}`)
      } catch (e) {
        if (isDomainError(e) && e.code === 'AGENT_PACKAGE_NOT_FOUND') return text(404, `Package not found: ${wanted}`)
        if (isDomainError(e) && e.code === 'AGENT_PACKAGE_INVALID') return text(502, `Failed to download package: ${wanted}, ${e.message}`)
        throw e
      }
    }
  )
}

export default routes
