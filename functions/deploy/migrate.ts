import { join } from 'node:path'
import { getDeps } from '#shared/deps'
import { logger } from '#shared/logger'
import { seedDefaults } from '#shared/services/defaults'
import { loadMigrations, migrate } from '../../migrations/runner.ts'

/**
 * Deploy-time trigger (CDK `triggers.Trigger`): applies pending migrations and seeds defaults before the
 * API serves traffic. The bundler copies `migrations/*.sql` next to the bundle; MIGRATIONS_DIR overrides.
 * Throwing fails the deployment, which is what we want on a bad or edited migration.
 */
export const handler = async (): Promise<{ applied: string[] }> => {
  const { sql } = await getDeps()
  const dir = process.env.MIGRATIONS_DIR ?? join(import.meta.dirname, 'migrations')
  const applied = await migrate(sql, await loadMigrations(dir))
  await seedDefaults(sql)
  logger.info('migrations applied', { applied })
  return { applied }
}
