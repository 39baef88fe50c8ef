import { queueDueRefits } from '#shared/calibration/live'
import { getDeps } from '#shared/deps'
import { logger } from '#shared/logger'
import { flushOutbox } from '#shared/queue/outbox'

/** Hourly: a live refit for every tenant with enough reviewed drafts since its last one. */
export const handler = async (): Promise<{ queued: number }> => {
  const deps = await getDeps()
  const queued = await queueDueRefits(deps.sql)
  await flushOutbox(deps)
  if (queued > 0) logger.info('calibration refits queued', { queued })
  return { queued }
}
