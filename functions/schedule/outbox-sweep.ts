import { getDeps } from '#shared/deps'
import { logger } from '#shared/logger'
import { publishOutbox } from '#shared/queue/outbox'

/** Delivers outbox jobs that a crash or a queue outage left behind after their transaction committed. */
export const handler = async (): Promise<{ published: number }> => {
  const deps = await getDeps()
  let published = 0
  let batch: number
  do {
    batch = await publishOutbox(deps.sql, deps.queue)
    published += batch
  } while (batch > 0)
  if (published > 0) logger.info('outbox sweep published jobs', { published })
  return { published }
}
