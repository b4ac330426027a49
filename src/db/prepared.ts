import { Placeholder } from 'drizzle-orm'
import type { Tx } from './index.js'

/** The better-sqlite3 connection under a database handle or a transaction (they share it). */
function connectionOf(db: Tx): object {
  return (db as unknown as { session: { client: object } }).session.client
}

/** One value per connection and key, made on first use. */
function perConnection<K extends object, V>(store: WeakMap<object, Map<K, V>>, db: Tx, key: K, make: () => V): V {
  const connection = connectionOf(db)
  let byKey = store.get(connection)
  if (!byKey) {
    byKey = new Map()
    store.set(connection, byKey)
  }
  let value = byKey.get(key)
  if (value === undefined) {
    value = make()
    byKey.set(key, value)
  }
  return value
}

const statements = new WeakMap<object, Map<(db: Tx) => unknown, unknown>>()

/**
 * A statement built and prepared once per connection: `build` (a module-level function, which is
 * the key) makes a Drizzle query with `sql.placeholder`s and calls `.prepare()`; later calls get the
 * same prepared statement. A transaction runs on its database's connection, so a statement
 * prepared from either runs in the transaction that is open when it executes.
 */
export function prepared<T>(db: Tx, build: (db: Tx) => T): T {
  return perConnection(statements, db, build, () => build(db)) as T
}

interface Built {
  toSQL(): { sql: string; params: unknown[] }
}
type PlainRead = (params: Record<string, unknown>) => unknown[][]
const plainReads = new WeakMap<object, Map<(db: Tx) => Built, PlainRead>>()

/**
 * A read prepared once per connection that returns SQLite's values as arrays, one per row in the
 * order of the query's columns, JSON columns as their text: neither better-sqlite3's row objects
 * nor Drizzle's per-row mapping, which together cost a 50-message history page about half of
 * its query time. `build` (module-level, the key) makes the query with Drizzle and
 * `sql.placeholder`s, which are given by name.
 */
export function preparedPlain(db: Tx, build: (db: Tx) => Built): PlainRead {
  return perConnection(plainReads, db, build, () => {
    const connection = connectionOf(db) as { prepare(sql: string): { raw(): { all(...params: unknown[]): unknown[][] } } }
    const query = build(db).toSQL()
    const statement = connection.prepare(query.sql).raw()
    const names = query.params.map((p) => (p instanceof Placeholder ? p.name : undefined))
    return (params) => statement.all(...names.map((name, i) => (name === undefined ? query.params[i] : params[name])))
  })
}
