import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { createSql, type Sql } from '#shared/db/sql'

/** The database of the local runtime: embedded PGlite, or a PostgreSQL server named by DATABASE_URL. */
export interface LocalDb {
  engine: 'pglite' | 'postgres'
  sql: Sql
  url: string
  /**
   * Server engine only: one dedicated connection that never idles out, for session-level advisory locks
   * that must live as long as the process (see LocalQueues' instance lock). Undefined on PGlite, where one
   * process owns the data directory anyway.
   */
  session?: Sql
  close(): Promise<void>
}

/**
 * Boots PGlite (WASM Postgres 18 with pgvector) and serves it over the Postgres wire protocol on a free
 * loopback port, so the application uses postgres.js and the same SQL as production.
 *
 * `dataDir` undefined = in memory (tests). The pool has one connection: PGlite executes one statement at
 * a time anyway, and one socket keeps extended-protocol message sequences from interleaving.
 */
async function startEmbeddedDb(dataDir?: string): Promise<LocalDb> {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  const db = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { vector } })
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 4 })
  await server.start()
  const port = (server as unknown as { port: number }).port
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`
  const sql = createSql(url, { max: 1 })
  return {
    engine: 'pglite',
    sql,
    url,
    async close() {
      await sql.end({ timeout: 5 })
      await server.stop()
      // close() checkpoints and flushes to dataDir: after it, the data on disk is complete.
      await db.close()
    },
  }
}

/**
 * Connects to a PostgreSQL server (with pgvector available) through a pool of `pool` connections, and
 * checks it answers, so a wrong URL stops the start with the server's own message.
 */
async function connectServerDb(url: string, pool = 10): Promise<LocalDb> {
  const sql = createSql(url, { max: pool })
  const session = createSql(url, { max: 1, idleTimeout: 0, maxLifetime: null })
  try {
    await sql`SELECT 1`
  } catch (error) {
    await Promise.allSettled([sql.end({ timeout: 1 }), session.end({ timeout: 1 })])
    throw error
  }
  return {
    engine: 'postgres',
    sql,
    url,
    session,
    async close() {
      await Promise.all([sql.end({ timeout: 5 }), session.end({ timeout: 5 })])
    },
  }
}

export interface OpenDbOptions {
  /** A PostgreSQL server; when unset, the embedded engine. */
  databaseUrl?: string | undefined
  /** Embedded engine only: where its files live; undefined = in memory. */
  dataDir?: string | undefined
  /** Server engine only: pool size. */
  pool?: number | undefined
}

/** Opens the runtime's database: the server named by `databaseUrl`, or embedded PGlite. */
export function openDb(options: OpenDbOptions): Promise<LocalDb> {
  return options.databaseUrl
    ? connectServerDb(options.databaseUrl, options.pool)
    : startEmbeddedDb(options.dataDir)
}
