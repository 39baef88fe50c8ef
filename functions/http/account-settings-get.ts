import { actingTenant } from '#shared/auth/scope'
import { loadAccountSettings } from '#shared/drafts/account-settings'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /settings/account-facts', async ({ deps, auth, query }) =>
  loadAccountSettings(deps.sql, actingTenant(auth, query.tenantId)),
)
