import type { Tx } from './index.js'

/** The better-sqlite3 connection under a database handle or a transaction (they share it). */
function connectionOf(db: Tx): object {
  return (db as unknown as { session: { client: object } }).session.client
}

const statements = new WeakMap<object, Map<(db: Tx) => unknown, unknown>>()

/**
 * A statement built and prepared once per connection: `build` (a module-level function, which is
 * the key) makes a Drizzle query with `sql.placeholder`s and calls `.prepare()`; later calls get the
 * same prepared statement. A transaction runs on its database's connection, so a statement
 * prepared from either runs in the transaction that is open when it executes.
 */
export function prepared<T>(db: Tx, build: (db: Tx) => T): T {
  const connection = connectionOf(db)
  let byBuilder = statements.get(connection)
  if (!byBuilder) {
    byBuilder = new Map()
    statements.set(connection, byBuilder)
  }
  let statement = byBuilder.get(build) as T | undefined
  if (statement === undefined) {
    statement = build(db)
    byBuilder.set(build, statement)
  }
  return statement
}
