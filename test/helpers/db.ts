import { randomBytes } from 'node:crypto'
import { createSql } from '#shared/db/sql'
import { type LocalDb, openDb } from '../../local/db.ts'

/**
 * The two test legs. `npm test` runs on embedded PGlite; `DATABASE_URL=postgres://…/postgres npm test` runs
 * the same files against that server, each file in databases of its own: `CREATE DATABASE … TEMPLATE` from
 * the template that test/helpers/global-setup.ts migrated once per run (a copy takes milliseconds, migrating
 * takes seconds), dropped when the file is done.
 */
const SERVER_URL = process.env.DATABASE_URL || undefined

/** The server leg's admin URL, or undefined on the PGlite leg. */
export function serverUrl(): string | undefined {
  return SERVER_URL
}

/** `url` with its database name replaced. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** Admin statements (CREATE/DROP DATABASE) on a short-lived connection of their own. */
async function admin(statement: string): Promise<void> {
  const sql = createSql(SERVER_URL!, { max: 1 })
  try {
    await sql.unsafe(statement)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** The migrated template's name, handed over by the vitest global setup (none outside vitest: benches). */
async function templateName(): Promise<string | undefined> {
  if (!process.env.VITEST) return undefined
  const { inject } = await import('vitest')
  return inject('pgTemplate')
}

let counter = 0

export interface TestDatabase {
  /** The database's URL on the server leg; undefined on PGlite (the runtime then boots its own). */
  url: string | undefined
  drop(): Promise<void>
}

/**
 * A database of this test file's own on the server leg (a copy of the migrated template, or an empty one),
 * nothing on the PGlite leg. Names are random so parallel runs against one server never collide.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  if (!SERVER_URL) return { url: undefined, drop: async () => {} }
  const template = options.empty ? undefined : await templateName()
  const name = `draftdesk_t${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`
  await admin(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`)
  return {
    url: withDatabase(SERVER_URL, name),
    drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  }
}

/**
 * A database handle on the leg's engine, for tests below the HTTP layer: PGlite (in memory, or in
 * `dataDir`), or a fresh database on the server (migrated unless `empty`), dropped again by `close()`.
 */
export async function startTestDb(options: { empty?: boolean; dataDir?: string } = {}): Promise<LocalDb> {
  const database = await createTestDatabase(options)
  const db = await openDb({ databaseUrl: database.url, dataDir: options.dataDir })
  return {
    ...db,
    async close() {
      await db.close()
      await database.drop()
    },
  }
}
