import { actingTenant } from '#shared/auth/scope'
import { startReplay } from '#shared/calibration/runs'
import { httpRoute } from '#shared/handlers/http-route'

export const handler = httpRoute('POST /calibration/replay', ({ deps, auth, query, body, jobs }) =>
  startReplay(deps.sql, jobs, actingTenant(auth, query.tenantId), auth.userId, body),
)
