import { refreshStaleDays } from '#shared/analytics/daily'
import { getDeps } from '#shared/deps'
import { logger } from '#shared/logger'

/** Folds the drafts written since the last run into the stored daily analytics figures. */
export const handler = async (): Promise<{ tenants: number; days: number }> => {
  const deps = await getDeps()
  const refreshed = await refreshStaleDays(deps.sql)
  if (refreshed.days > 0) logger.info('analytics days refreshed', refreshed)
  return refreshed
}
