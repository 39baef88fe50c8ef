import { randomBytes } from 'node:crypto'
import type { Deps } from '#shared/deps'
import { createTenant } from '#shared/services/tenants'
import { createUser } from '#shared/services/users'

/**
 * On the first start (no superadmin yet), creates the bootstrap tenant and superadmin from
 * DRAFTDESK_BOOTSTRAP_* or generated values. Returns the credentials only when it created them, so they
 * are printed exactly once.
 */
export async function bootstrapSuperadmin(deps: Deps) {
  const [existing] = await deps.sql`SELECT 1 FROM users WHERE role = 'superadmin' LIMIT 1`
  if (existing) return null
  const slug = deps.config.DRAFTDESK_BOOTSTRAP_TENANT ?? 'draftdesk'
  const email = deps.config.DRAFTDESK_BOOTSTRAP_EMAIL ?? 'admin@draftdesk.local'
  const password = deps.config.DRAFTDESK_BOOTSTRAP_PASSWORD ?? randomBytes(12).toString('base64url')
  const tenant = await createTenant(deps.sql, deps.dataKey, null, { name: slug, slug })
  const user = await createUser(deps.sql, null, tenant.id, {
    email,
    password,
    fullName: 'Bootstrap superadmin',
    role: 'superadmin',
  })
  return {
    tenant: tenant.slug,
    tenantId: tenant.id,
    email: user.email,
    password,
    generated: !deps.config.DRAFTDESK_BOOTSTRAP_PASSWORD,
    webhookSecret: tenant.webhookSecret,
  }
}
