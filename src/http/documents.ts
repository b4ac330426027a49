import { buildApp } from '../app.js'
import { testConfig } from '../config.js'

/** Builds the app on an in-memory database and returns the documents generated from its schemas. */
export async function generateDocuments(): Promise<Record<string, unknown>> {
  const app = await buildApp({ config: testConfig({ version: testConfig().version }) })
  try {
    await app.ready()
    return { 'openapi.json': app.swagger() }
  } finally {
    await app.close()
  }
}
