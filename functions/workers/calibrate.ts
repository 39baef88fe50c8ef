import { runCalibrationJob } from '#shared/calibration/replay'
import { sqsWorker } from '#shared/handlers/sqs-worker'
import { calibrateJobSchema } from '#shared/queue/jobs'

/**
 * One chunk of a replay of a tenant's history (import, shadow drafts, fit), or a live refit. A chunk queues
 * the next; on its last delivery a failing chunk ends its run as failed instead of leaving it running.
 */
export const handler = sqsWorker(
  'calibrate',
  calibrateJobSchema,
  async (job, { deps, isLastAttempt, jobs }) => {
    await runCalibrationJob(deps, job, jobs, { lastAttempt: isLastAttempt })
  },
)
