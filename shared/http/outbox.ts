import type { Deps } from '../deps.ts'
import { logger } from '../logger.ts'
import { publishOutbox } from '../queue/outbox.ts'

/**
 * Publishes jobs a request just committed. A failure is logged, not returned: the data is saved and the
 * outbox sweep schedule will deliver the job, so the client must not retry (and duplicate) the request.
 */
export async function flushOutbox(deps: Deps): Promise<void> {
  try {
    await publishOutbox(deps.sql, deps.queue)
  } catch (error) {
    logger.warn('outbox publish failed; the sweep will retry', { error: error as Error })
  }
}
