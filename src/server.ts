import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { startupBanner } from './banner.js'
import { type Config, ConfigError, loadConfig, loadEnvFile } from './config.js'

let config: Config
// `.env` in the working folder (or the file ENV_FILE names) fills in what the environment leaves unset.
const envFilePath = resolve(process.env.ENV_FILE || '.env')
let envFile: { path: string; names: string[] } | undefined
try {
  const names = loadEnvFile(envFilePath)
  if (names) envFile = { path: envFilePath, names }
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Cannot start: ${err.message}`)
    process.exit(1)
  }
  throw err
}

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
process.stdout.write(startupBanner({ config, port, surfaces: app.surfaces.list(), envFile }))
