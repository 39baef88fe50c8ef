/**
 * The tenant's account-fact settings (issue 30) as admins read and replace them
 * (`GET/PUT /settings/account-facts`). They live in `tenants.settings.accountFacts`, beside the tenant's
 * other settings, which a replace leaves as they are; the draft pipeline reads them with every draft
 * ({@link accountSettingsOf}), so a change applies to the next draft.
 */
import type * as z from 'zod'
import type { accountFactsSettingsBody, accountFactsSettingsView } from '../api/account.ts'
import { audit } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import type { Db, Sql } from '../db/sql.ts'
import { found } from '../errors.ts'
import { type AccountFactsSettings, accountSettingsOf } from './account-facts.ts'

type SettingsBody = z.infer<typeof accountFactsSettingsBody>
type SettingsView = z.infer<typeof accountFactsSettingsView>

const view = (s: AccountFactsSettings): SettingsView => ({
  enabled: s.enabled,
  kinds: {
    client: s.kinds.includes('client'),
    services: s.kinds.includes('services'),
    domains: s.kinds.includes('domains'),
    invoices: s.kinds.includes('invoices'),
  },
  cacheSeconds: s.cacheSeconds,
  budgetMs: s.budgetMs,
})

/** The settings drafts of `tenantId` are made with, defaults filled in. */
export async function loadAccountSettings(sql: Db, tenantId: number): Promise<SettingsView> {
  const row = found(
    await sql<{ settings: Record<string, unknown> | null }[]>`
      SELECT settings FROM tenants WHERE id = ${tenantId}`,
    'tenant',
  )
  return view(accountSettingsOf(row.settings, tenantId))
}

/** Replaces `tenants.settings.accountFacts` (validated by the route's schema) and records who did. */
export async function saveAccountSettings(
  sql: Sql,
  auth: AuthContext,
  tenantId: number,
  body: SettingsBody,
): Promise<SettingsView> {
  return sql.begin(async (tx) => {
    const before = await loadAccountSettings(tx, tenantId)
    const row = found(
      await tx<{ settings: Record<string, unknown> }[]>`
        UPDATE tenants
        SET settings = jsonb_set(coalesce(settings, '{}'::jsonb), '{accountFacts}', ${tx.json(body as never)}),
            updated_at = now()
        WHERE id = ${tenantId}
        RETURNING settings`,
      'tenant',
    )
    const after = view(accountSettingsOf(row.settings, tenantId))
    await audit(tx, {
      tenantId,
      userId: auth.userId,
      action: 'settings_changed',
      entityType: 'tenant',
      entityId: tenantId,
      details: { setting: 'accountFacts', previous: before, current: after },
    })
    return after
  })
}
