import { getDeps } from '#shared/deps'
import { logger } from '#shared/logger'
import { type ClaimedJob, publishJobs } from '#shared/queue/outbox'
import { queueScheduledSyncs } from '#shared/whmcs/sync-logs'

/** EventBridge (every 5 minutes): one `sync` job per active tenant with WHMCS configured. */
export const handler = async (): Promise<{ queued: number }> => {
  const deps = await getDeps()
  const jobs: ClaimedJob[] = []
  const queued = await queueScheduledSyncs(deps.sql, jobs)
  await publishJobs(deps, jobs)
  if (queued > 0) logger.info('whmcs sync jobs queued', { queued })
  return { queued }
}
