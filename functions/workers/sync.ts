import { sqsWorker } from '#shared/handlers/sqs-worker'
import { recordSync } from '#shared/observability'
import { syncJobSchema } from '#shared/queue/jobs'
import { runWhmcsSync } from '#shared/whmcs/sync'

/**
 * One WHMCS sync run of one tenant. WHMCS failures are recorded on the run's sync log and not thrown (the
 * next scheduled run resumes where this one stopped); other errors are thrown so the queue retries.
 */
export const handler = sqsWorker('sync', syncJobSchema, async (job, { deps }) => {
  recordSync(await runWhmcsSync(deps, job))
})
