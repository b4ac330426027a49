import { runServer } from './main.js'

await runServer()
