import { actingTenant } from '#shared/auth/scope'
import { activatePrompt } from '#shared/drafts/prompt-versions'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('POST /prompts/{id}/activate', async ({ deps, auth, params, query }) =>
  activatePrompt(deps.sql, auth, actingTenant(auth, query.tenantId), params.id),
)
