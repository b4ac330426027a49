import type { AddressInfo } from 'node:net'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { startupBanner } from './banner.js'
import { ConfigError, loadStartConfig } from './config.js'
import { flushLogs } from './logging.js'

/**
 * Starts the service from the environment: reads the configuration, builds the app and listens.
 * `src/server.ts` runs it from the sources, `src/bin/main.ts` from the single executable.
 */
export async function runServer(): Promise<void> {
  let start: ReturnType<typeof loadStartConfig>
  try {
    start = loadStartConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Cannot start: ${err.message}`)
      process.exit(1)
    }
    throw err
  }

  const { config, envFile } = start
  const app = await buildApp({ config })

  // On SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close sockets and the database.
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })

  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    app.log.error({ err }, 'could not listen')
    process.exit(1)
  }

  const { port } = app.server.address() as AddressInfo
  flushLogs()
  process.stdout.write(startupBanner({ config, port, surfaces: app.surfaces.list(), envFile }))

  // Validators and serializers are compiled on first use, so the server answers quickly after a
  // start; compile the rest now, in small batches between requests.
  void app.schemaCompilers.warmUp().catch((err) => app.log.error({ err }, 'compiling schemas failed'))
}
