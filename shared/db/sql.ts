import postgres, { type Sql } from 'postgres'
import { isTracing, traced } from '../observability.ts'

export type { Sql } from 'postgres'

export interface SqlOptions {
  /** Pool size. Lambda: 1 (one request at a time per container). Local: 1 on PGlite (it serialises anyway), a pool on a server. */
  max?: number
  /** RDS Proxy pins connections that use prepared statements, so AWS turns them off. */
  prepare?: boolean
  password?: string | (() => string | Promise<string>)
  /** Seconds before an idle connection closes (default 20); 0 = never. */
  idleTimeout?: number
  /** Seconds before a connection is recycled (default 30 min); null = never. */
  maxLifetime?: number | null
}

/**
 * Creates the postgres.js client. No connection is made until the first query. Result columns arrive
 * camelCased (`created_at` → `createdAt`) so rows can be returned as API JSON without mapping.
 */
export function createSql(url: string, options: SqlOptions = {}): Sql {
  const sql = postgres(url, {
    max: options.max ?? 1,
    prepare: options.prepare ?? true,
    // Lambda freezes idle containers; drop idle sockets before RDS Proxy does, and recycle old ones.
    idle_timeout: options.idleTimeout ?? 20,
    max_lifetime: options.maxLifetime === undefined ? 60 * 30 : options.maxLifetime,
    connect_timeout: 10,
    onnotice: () => {},
    transform: { column: { from: postgres.toCamel }, undefined: null },
    ...(options.password ? { password: options.password } : {}),
  })
  return isTracing() ? traceTransactions(sql) : sql
}

/**
 * Makes every `sql.begin` an X-Ray subsegment (`DB transaction`). postgres.js has no per-query hook that
 * sees a query finish, and all writes and the retrieval queries run in transactions, so that is where
 * the database time shows. Only applied where tracing is on (workers in Lambda).
 */
function traceTransactions(sql: Sql): Sql {
  const begin = sql.begin.bind(sql) as (...args: unknown[]) => Promise<unknown>
  Object.assign(sql, { begin: (...args: unknown[]) => traced('DB transaction', () => begin(...args)) })
  return sql
}

/**
 * What services run queries on: the pool or a transaction. Functions that open a transaction themselves
 * take `Sql`; everything else takes `Db`, so callers can pass their transaction.
 */
export type Db = postgres.ISql

/** Drops undefined entries, so `sql(patch)` only sets the fields a PATCH named. */
export function definedOnly<T extends Record<string, unknown>>(
  values: T,
): Record<string, postgres.ParameterOrJSON<never>> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
    string,
    postgres.ParameterOrJSON<never>
  >
}

/**
 * A LIKE/ILIKE pattern that matches `s` anywhere in the value, with `\`, `%` and `_` in `s` taken
 * literally (`\` is Postgres' default LIKE escape), so a search box cannot write wildcards.
 */
export const likeContains = (s: string): string => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/** `AND <column> < cursor` for a keyset page that goes newest first; nothing on the first page. */
export const beforeCursor = (sql: Db, cursor: number | undefined, column = 'id'): postgres.Fragment =>
  cursor ? sql`AND ${sql(column)} < ${cursor}` : sql``

/**
 * One page of a tenant's rows in `table`, newest first: `limit + 1` rows, where the extra one only says
 * that a next page exists (the route's `page()` drops it and returns the cursor).
 */
export function tenantPage<T extends object>(
  sql: Db,
  table: string,
  columns: postgres.Fragment,
  page: { tenantId: number; cursor: number | undefined; limit: number },
) {
  return sql<T[]>`
    SELECT ${columns} FROM ${sql(table)}
    WHERE tenant_id = ${page.tenantId} ${beforeCursor(sql, page.cursor)}
    ORDER BY id DESC LIMIT ${page.limit + 1}`
}
