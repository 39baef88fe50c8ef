import { actingTenant } from '#shared/auth/scope'
import { startReplay } from '#shared/calibration/runs'
import { httpRoute } from '#shared/handlers/http-route'
import { flushOutbox } from '#shared/queue/outbox'

export const handler = httpRoute('POST /calibration/replay', async ({ deps, auth, query, body }) => {
  const run = await startReplay(deps.sql, actingTenant(auth, query.tenantId), auth.userId, body)
  await flushOutbox(deps)
  return run
})
