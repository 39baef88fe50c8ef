/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database in
 * DRAFTDESK_DATA_DIR when no URL is given. `npm start` migrates on its own; this is for operators.
 */
import { join, resolve } from 'node:path'
import { parseConfig } from '#shared/config'
import { createSql } from '#shared/db/sql'
import { seedDefaults } from '#shared/services/defaults'
import { startEmbeddedDb } from '../local/db.ts'
import { migrate } from './runner.ts'

const config = parseConfig()
const url = config.DATABASE_URL
const db = url
  ? (() => {
      const sql = createSql(url)
      return { sql, close: () => sql.end() }
    })()
  : await startEmbeddedDb(join(resolve(config.DRAFTDESK_DATA_DIR), 'pg'))
try {
  const applied = await migrate(db.sql)
  await seedDefaults(db.sql)
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
} finally {
  await db.close()
}
