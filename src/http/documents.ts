import { buildApp } from '../app.js'
import { testConfig } from '../config.js'
import { asyncApiDocument } from '../realtime/asyncapi.js'

/** Builds the app on an in-memory database and returns the documents generated from its schemas. */
export async function generateDocuments(): Promise<Record<string, unknown>> {
  const app = await buildApp({ config: testConfig({ version: testConfig().version }) })
  try {
    await app.ready()
    return { 'openapi.json': app.swagger(), 'asyncapi.json': asyncApiDocument(app.config.version) }
  } finally {
    await app.close()
  }
}
