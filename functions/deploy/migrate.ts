import { join } from 'node:path'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import * as z from 'zod'
import { getDeps } from '#shared/deps'
import { seedDefaults } from '#shared/drafts/defaults'
import { bootstrapSuperadmin } from '#shared/identity/bootstrap'
import { logger } from '#shared/logger'
import { loadMigrations, migrate } from '../../migrations/runner.ts'

const secrets = new SecretsManagerClient({})
const bootstrapSecret = z.object({
  tenant: z.string().min(1),
  email: z.string().email(),
  password: z.string().min(8),
})

/**
 * Deploy-time trigger (CDK `triggers.Trigger`): applies pending migrations, seeds defaults and, on the very
 * first deploy, creates the first superadmin from the generated BOOTSTRAP_SECRET_ARN secret (the operator
 * reads it with `aws secretsmanager get-secret-value`). The bundler copies `migrations/*.sql` next to the
 * bundle; MIGRATIONS_DIR overrides. Throwing fails the deployment, as a bad or edited migration should.
 */
export const handler = async (): Promise<{ applied: string[]; bootstrapped: boolean }> => {
  const { sql, dataKey, config } = await getDeps()
  const dir = config.MIGRATIONS_DIR ?? join(import.meta.dirname, 'migrations')
  const applied = await migrate(sql, await loadMigrations(dir))
  await seedDefaults(sql)
  let bootstrapped = false
  if (config.BOOTSTRAP_SECRET_ARN) {
    const out = await secrets.send(new GetSecretValueCommand({ SecretId: config.BOOTSTRAP_SECRET_ARN }))
    const input = bootstrapSecret.parse(JSON.parse(out.SecretString ?? '{}'))
    bootstrapped = (await bootstrapSuperadmin(sql, dataKey, input)) !== null
  }
  logger.info('deploy migration done', { applied, bootstrapped })
  return { applied, bootstrapped }
}
