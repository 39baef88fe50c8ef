import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/http/route'
import { createPrompt } from '#shared/services/prompts'

export const handler = httpRoute('POST /prompts', async ({ deps, auth, body }) => {
  const { tenantId, ...prompt } = body
  return createPrompt(deps.sql, auth, actingTenant(auth, tenantId), prompt)
})
