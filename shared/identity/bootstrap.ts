import type { Sql } from '../db/sql.ts'
import { createTenant } from './tenants.ts'
import { createUser } from './users.ts'

export interface BootstrapInput {
  tenant: string
  email: string
  password: string
}

/**
 * Creates the first tenant and superadmin when the database has no superadmin yet; otherwise does nothing
 * and returns null. Locally `npm start` calls it with DRAFTDESK_BOOTSTRAP_* or generated values and prints
 * them once; in AWS the deploy-time migration trigger calls it with the Secrets Manager bootstrap secret.
 */
export async function bootstrapSuperadmin(sql: Sql, dataKey: Buffer, input: BootstrapInput) {
  const [existing] = await sql`SELECT 1 FROM users WHERE role = 'superadmin' LIMIT 1`
  if (existing) return null
  const [taken] = await sql<{ id: number }[]>`SELECT id FROM tenants WHERE slug = ${input.tenant}`
  const tenant = taken
    ? { id: taken.id, slug: input.tenant, webhookSecret: null }
    : await createTenant(sql, dataKey, null, { name: input.tenant, slug: input.tenant })
  const user = await createUser(sql, null, tenant.id, {
    email: input.email.toLowerCase(),
    password: input.password,
    fullName: 'Bootstrap superadmin',
    role: 'superadmin',
  })
  return { tenant: tenant.slug, tenantId: tenant.id, email: user.email, webhookSecret: tenant.webhookSecret }
}
