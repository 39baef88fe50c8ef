/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database in
 * DRAFTDESK_DATA_DIR when no URL is given. `npm start` migrates on its own; this is for operators.
 */
import { join, resolve } from 'node:path'
import { parseConfig } from '#shared/config'
import { seedDefaults } from '#shared/services/defaults'
import { openDb } from '../local/db.ts'
import { migrate } from './runner.ts'

const config = parseConfig()
const db = await openDb({
  databaseUrl: config.DATABASE_URL,
  dataDir: join(resolve(config.DRAFTDESK_DATA_DIR), 'pg'),
  pool: 1,
})
try {
  const applied = await migrate(db.sql)
  await seedDefaults(db.sql)
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
} finally {
  await db.close()
}
