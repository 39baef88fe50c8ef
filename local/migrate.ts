/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database in
 * DRAFTDESK_DATA_DIR when no URL is given. `npm start` migrates on its own; this is for operators.
 */
import { join, resolve } from 'node:path'
import { parseConfig } from '#shared/config'
import { seedDefaults } from '#shared/drafts/defaults'
import { migrate } from '../migrations/runner.ts'
import { DataDirInUseError, lockDataDir } from './data-lock.ts'
import { openDb } from './db.ts'

const config = parseConfig()
const dataDir = resolve(config.DRAFTDESK_DATA_DIR)
// An embedded directory has one owner at a time, a running `npm start` included (it migrates on its own).
let lock: ReturnType<typeof lockDataDir> | undefined
try {
  lock = config.DATABASE_URL ? undefined : lockDataDir(dataDir)
} catch (error) {
  if (!(error instanceof DataDirInUseError)) throw error
  console.error(`npm run migrate: ${error.message}`)
  process.exit(1)
}
try {
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: join(dataDir, 'pg'), pool: 1 })
  try {
    const applied = await migrate(db.sql)
    await seedDefaults(db.sql)
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
  } finally {
    await db.close()
  }
} finally {
  lock?.release()
}
