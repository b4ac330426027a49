/**
 * `npm run seed`: makes a demo account, an assistant with tools, a conversation and an API key in
 * the configured database (DATA_DIR / DATABASE_URL, `.env` included), and prints how to use them.
 * Running it again finds what is there and makes only a new key.
 *
 *   SEED_EMAIL, SEED_PASSWORD   another account than demo@example.com (SEED_PASSWORD is required
 *                               when NODE_ENV=production: a known password has no place there)
 */
import { buildApp } from '../src/app.js'
import { publicUrl } from '../src/banner.js'
import { ConfigError, loadStartConfig } from '../src/config.js'
import { SeedError, seed, seedReport } from '../src/seed.js'

try {
  const { config } = loadStartConfig()
  if (config.nodeEnv === 'production' && !process.env.SEED_PASSWORD) {
    throw new SeedError('NODE_ENV=production: give SEED_PASSWORD (and SEED_EMAIL) rather than seed the demo password')
  }
  // Quiet, and with no rate limit to trip over; everything else as the server runs.
  const app = await buildApp({ config: { ...config, logLevel: 'silent', rateLimitMax: 0, rateLimitAuthMax: 0 } })
  try {
    await app.ready()
    const result = await seed(app, { email: process.env.SEED_EMAIL || undefined, password: process.env.SEED_PASSWORD || undefined })
    process.stdout.write(seedReport(result, { database: config.databaseUrl, url: publicUrl(config, config.port) }))
  } finally {
    await app.close()
  }
} catch (err) {
  if (err instanceof ConfigError || err instanceof SeedError) {
    console.error(`Cannot seed: ${err.message}`)
    process.exit(1)
  }
  throw err
}
