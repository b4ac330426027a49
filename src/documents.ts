import { buildApp } from './app.js'
import { testConfig } from './config.js'
import { documentPath } from './http/surface.js'
import { asyncApiDocument } from './realtime/asyncapi.js'
import { socketIoAsyncApiDocument } from './realtime/asyncapi-socketio.js'

/**
 * Builds the app with every surface on an in-memory database and returns the documents generated
 * from its schemas, by file name under `openapi/`: each surface's OpenAPI document (v1's is
 * `openapi.json`, another surface's `<name>.json`) the AsyncAPI document of `/ws`, and that of the Socket.IO protocol.
 */
export async function generateDocuments(): Promise<Record<string, unknown>> {
  const app = await buildApp({ config: testConfig() })
  try {
    await app.ready()
    const docs: Record<string, unknown> = {}
    for (const surface of app.surfaces.list()) {
      docs[documentPath(surface.name).replace(/^\/(openapi\/)?/, '')] = app.surfaces.document(surface.name)
    }
    docs['asyncapi.json'] = asyncApiDocument(app.config.version)
    docs['asyncapi-socketio.json'] = socketIoAsyncApiDocument(app.config.version)
    return docs
  } finally {
    await app.close()
  }
}
