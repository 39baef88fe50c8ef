import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'
import { flushOutbox } from '#shared/queue/outbox'
import { requestManualSync } from '#shared/whmcs/sync-logs'

export const handler = httpRoute('POST /integrations/whmcs/sync', async ({ deps, auth, query }) => {
  const result = await requestManualSync(deps.sql, actingTenant(auth, query.tenantId), auth.userId)
  await flushOutbox(deps)
  return result
})
