import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { createSql, type Sql } from '#shared/db/sql'

export interface EmbeddedDb {
  sql: Sql
  url: string
  close(): Promise<void>
}

/**
 * Boots PGlite (WASM Postgres 18 with pgvector) and serves it over the Postgres wire protocol on a free
 * loopback port, so the application uses postgres.js and the same SQL as production.
 *
 * `dataDir` undefined = in memory (tests). The pool has one connection: PGlite executes one statement at
 * a time anyway, and one socket keeps extended-protocol message sequences from interleaving.
 */
export async function startEmbeddedDb(dataDir?: string): Promise<EmbeddedDb> {
  if (dataDir) await mkdir(dataDir, { recursive: true })
  const db = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { vector } })
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 4 })
  await server.start()
  const port = (server as unknown as { port: number }).port
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`
  const sql = createSql(url, { max: 1 })
  return {
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
