import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { resourcePath } from '../resources.js'
import * as schema from './schema.js'

/** Drizzle's handle, with the better-sqlite3 connection under it as `$client`. */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

/** A database handle or the transaction a service is in. */
export type Tx = Db | Parameters<Parameters<Db['transaction']>[0]>[0]

export interface Database_ {
  db: Db
  sqlite: Database.Database
  close(): void
}

/**
 * Opens the SQLite database (a file path or `:memory:`), sets the pragmas the design asks for
 * (WAL, foreign keys, busy timeout) and applies the migrations in `drizzle/`.
 */
export function openDatabase(path: string): Database_ {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('synchronous = NORMAL')
  const db = drizzle(sqlite, { schema })
  // Migrations run with foreign keys off: a migration that rebuilds a table (SQLite's way to
  // change a column) drops the old one, which with foreign keys on would cascade into the rows
  // that refer to it. The pragma is a no-op inside the migrator's transaction, so it is set here.
  sqlite.pragma('foreign_keys = OFF')
  migrate(db, { migrationsFolder: resourcePath('drizzle') })
  const broken = sqlite.pragma('foreign_key_check') as unknown[]
  if (broken.length > 0) throw new Error(`The migrations left ${broken.length} rows with broken foreign keys`)
  sqlite.pragma('foreign_keys = ON')
  return {
    db,
    sqlite,
    close() {
      if (sqlite.open) sqlite.close()
    }
  }
}

export { schema }
