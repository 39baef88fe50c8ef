import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/http/route'
import { activatePrompt } from '#shared/services/prompts'

export const handler = httpRoute('POST /prompts/{id}/activate', async ({ deps, auth, params, query }) =>
  activatePrompt(deps.sql, auth, actingTenant(auth, query.tenantId), params.id),
)
