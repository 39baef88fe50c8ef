import { liveCalibration } from '#shared/analytics/calibration'
import { windowFigures } from '#shared/analytics/daily'
import { analyticsSummary } from '#shared/analytics/summary'
import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'

// A 30-day window unless the caller names one.
const DEFAULT_WINDOW_MS = 30 * 24 * 3600 * 1000

export const handler = httpRoute('GET /analytics/summary', async ({ deps, auth, query }) => {
  const to = query.to ?? deps.now()
  const from = query.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS)
  const tenantId = actingTenant(auth, query.tenantId)
  // Live reliability next to the eval set's, for the calibration the window's drafts used: both read the
  // window's daily figures, once.
  const figures = windowFigures(deps.sql, tenantId, { from, to })
  const [summary, live] = await Promise.all([
    analyticsSummary(deps.sql, tenantId, { from, to, now: deps.now() }, figures),
    liveCalibration(deps.sql, tenantId, { from, to }, figures),
  ])
  return { ...summary, liveCalibration: live }
})
