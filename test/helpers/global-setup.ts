import type { TestProject } from 'vitest/node'
import { createSql } from '#shared/db/sql'
import { seedDefaults } from '#shared/drafts/defaults'
import { migrate } from '../../migrations/runner.ts'
import { withDatabase } from './db.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Server leg: the migrated template database every test file copies (see test/helpers/db.ts). */
    pgTemplate: string | undefined
  }
}

/**
 * Vitest global setup. On the server leg (DATABASE_URL set) it creates and migrates one template database
 * per run, and drops it when the run ends; on the PGlite leg it does nothing.
 */
export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL
  project.provide('pgTemplate', undefined)
  if (!url) return
  const name = `draftdesk_tpl_${process.pid}_${Date.now().toString(36)}`
  const admin = createSql(url, { max: 1 })
  await admin.unsafe(`CREATE DATABASE "${name}"`)
  const tpl = createSql(withDatabase(url, name), { max: 1 })
  try {
    await migrate(tpl)
    await seedDefaults(tpl)
  } finally {
    // CREATE DATABASE … TEMPLATE refuses a template anyone is connected to.
    await tpl.end({ timeout: 5 })
  }
  project.provide('pgTemplate', name)
  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
    await admin.end({ timeout: 5 })
  }
}
