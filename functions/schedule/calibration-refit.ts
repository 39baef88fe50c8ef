import { queueDueRefits } from '#shared/calibration/state'
import { getDeps } from '#shared/deps'
import { logger } from '#shared/logger'
import { type ClaimedJob, publishJobs } from '#shared/queue/outbox'

/** Hourly: a live refit for every tenant with enough reviewed drafts since its last one. */
export const handler = async (): Promise<{ queued: number }> => {
  const deps = await getDeps()
  const jobs: ClaimedJob[] = []
  const queued = await queueDueRefits(deps.sql, jobs)
  await publishJobs(deps, jobs)
  if (queued > 0) logger.info('calibration refits queued', { queued })
  return { queued }
}
