import { isSea } from 'node:sea'
import { setResourceRoot } from '../resources.js'
import { unpackResources } from './unpack.js'

/**
 * The entry point of the single executable (`npm run build:bin`): it unpacks the files it
 * carries, then starts the service as `npm start` does. The service's modules are loaded only
 * after that, so they find the native modules, migrations and pages in the unpacked folder.
 */
async function start(): Promise<void> {
  if (isSea()) setResourceRoot(unpackResources())
  const { runServer } = await import('../main.js')
  await runServer()
}

start().catch((err: unknown) => {
  console.error('Cannot start:', err)
  process.exit(1)
})
