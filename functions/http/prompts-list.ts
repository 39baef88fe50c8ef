import { actingTenant } from '#shared/auth/scope'
import { listPrompts } from '#shared/drafts/prompt-versions'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('GET /prompts', async ({ deps, auth, query }) => ({
  items: await listPrompts(deps.sql, actingTenant(auth, query.tenantId)),
}))
