import * as z from 'zod'
import { id } from '#shared/api/common'
import { recordSync } from '#shared/observability'
import { sqsWorker } from '#shared/queue/worker'
import { runWhmcsSync } from '#shared/services/whmcs-sync'

const syncJob = z.object({
  jobId: z.string().optional(),
  tenantId: id,
  trigger: z.enum(['schedule', 'manual']).default('schedule'),
})

/**
 * One WHMCS sync run of one tenant. WHMCS failures are recorded on the run's sync log and not thrown (the
 * next scheduled run resumes where this one stopped); other errors are thrown so the queue retries.
 */
export const handler = sqsWorker('sync', syncJob, async (job, { deps }) => {
  recordSync(await runWhmcsSync(deps, job))
})
