import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/http/route'
import { listPrompts } from '#shared/services/prompts'

export const handler = httpRoute('GET /prompts', async ({ deps, auth, query }) => ({
  items: await listPrompts(deps.sql, actingTenant(auth, query.tenantId)),
}))
