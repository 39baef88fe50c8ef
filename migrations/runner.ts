import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Sql } from 'postgres'

/**
 * Forward-only SQL migration runner.
 *
 * Written here rather than taken from postgres-shift or ley because neither records a checksum, and we
 * must refuse to start when an already-applied file was edited. Each file runs in its own transaction
 * under an advisory lock, so two processes starting at once (two Lambdas, a deploy and `npm start`)
 * apply each migration exactly once.
 */

const MIGRATIONS_DIR = new URL('.', import.meta.url).pathname

export interface Migration {
  id: number
  name: string
  checksum: string
  sql: string
}

/** @internal */
export class MigrationChecksumError extends Error {
  constructor(name: string) {
    super(`migration ${name} was changed after it was applied; add a new migration instead of editing it`)
    this.name = 'MigrationChecksumError'
  }
}

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/

/** Reads `NNN_name.sql` files in order. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => FILE_PATTERN.test(f)).sort()
  return Promise.all(
    files.map(async (file) => {
      const [, id] = FILE_PATTERN.exec(file)!
      const sql = await readFile(join(dir, file), 'utf8')
      return { id: Number(id), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

/** Advisory-lock key of schema changes; seedDefaults takes it too, so concurrent starts seed once. */
const SCHEMA_LOCK = 'draftdesk:migrations'

/**
 * Applies pending migrations; returns the names applied by this call. Everything, the bookkeeping table
 * included, happens under the advisory lock: `CREATE TABLE IF NOT EXISTS` is not safe against a concurrent
 * twin (both see no table, one fails on the catalog's unique index).
 */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations())
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext(${SCHEMA_LOCK}))`
    await tx`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        id integer PRIMARY KEY,
        name text NOT NULL,
        checksum char(64) NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`
  })
  const applied: string[] = []
  for (const m of all) {
    const done = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext(${SCHEMA_LOCK}))`
      const [row] = await tx<
        { checksum: string }[]
      >`SELECT checksum FROM schema_migrations WHERE id = ${m.id}`
      if (row) {
        if (row.checksum !== m.checksum) throw new MigrationChecksumError(m.name)
        return false
      }
      await tx.unsafe(m.sql)
      await tx`INSERT INTO schema_migrations (id, name, checksum) VALUES (${m.id}, ${m.name}, ${m.checksum})`
      return true
    })
    if (done) applied.push(m.name)
  }
  return applied
}
