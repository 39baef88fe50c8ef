import { sqsWorker } from '#shared/handlers/sqs-worker'
import { embedJobRunner } from '#shared/knowledge/embed-job'
import { embedJobSchema } from '#shared/queue/jobs'

const runEmbedJob = embedJobRunner()

/** (Re)indexes KB articles and approved replies; the articles of one invocation are indexed together. */
export const handler = sqsWorker('embed', embedJobSchema, (job, { deps, isLastAttempt }) =>
  runEmbedJob(deps, job, isLastAttempt),
)
