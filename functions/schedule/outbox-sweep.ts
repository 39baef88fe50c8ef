import { getDeps } from '#shared/deps'
import { logger } from '#shared/logger'
import { drainOutbox } from '#shared/queue/outbox'

/** Delivers outbox jobs that a crash or a queue outage left behind after their transaction committed. */
export const handler = async (): Promise<{ published: number }> => {
  const deps = await getDeps()
  const published = await drainOutbox(deps.sql, deps.queue)
  if (published > 0) logger.info('outbox sweep published jobs', { published })
  return { published }
}
