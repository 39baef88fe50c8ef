import { actingTenant } from '#shared/auth/scope'
import { createPrompt } from '#shared/drafts/prompt-versions'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('POST /prompts', async ({ deps, auth, body }) => {
  const { tenantId, ...prompt } = body
  return createPrompt(deps.sql, auth, actingTenant(auth, tenantId), prompt)
})
