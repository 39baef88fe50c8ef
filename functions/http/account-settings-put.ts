import { actingTenant } from '#shared/auth/scope'
import { saveAccountSettings } from '#shared/drafts/account-settings'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('PUT /settings/account-facts', async ({ deps, auth, query, body }) =>
  saveAccountSettings(deps.sql, auth, actingTenant(auth, query.tenantId), body),
)
