import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import middy from '@middy/core'
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import type { z } from 'zod'
import { type Deps, getDeps } from '../deps.ts'
import { addLogKeys, keysOfAll, type LogKeys, logger, withLogKeys } from '../logger.ts'
import { handlerMiddlewares, serviceName, traced, tracingWanted, useTracer } from '../observability.ts'
import { type ClaimedJob, publishJobs } from '../queue/outbox.ts'
import { type QueueName, queues } from '../routes.ts'

// Workers trace; HTTP functions do not load the X-Ray SDK at all (why: shared/observability.ts).
if (tracingWanted()) useTracer(new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName }))

export interface JobContext {
  deps: Deps
  record: SQSRecord
  /** 1 on first delivery. */
  receiveCount: number
  /** True when a failure now sends the message to the dead-letter queue: record the failure for users. */
  isLastAttempt: boolean
  /**
   * The outbox jobs this job enqueues: `fn` passes it to the service that writes them, and the worker
   * publishes exactly these once `fn` settled (its transactions committed).
   */
  jobs: ClaimedJob[]
}

/**
 * Errors of the last batch by message id. Lambda's response carries only ids; the local runtime reads
 * this to keep the error next to a dead-lettered job (in AWS the logs hold it).
 */
export const batchErrors = new WeakMap<SQSEvent, Map<string, string>>()

/** The fields of a job body that say whose it is: its log keys and trace annotations. */
const JOB_KEYS = ['jobId', 'tenantId', 'ticketId', 'articleId', 'approvedReplyId', 'aiReplyId', 'userId']

function jobKeys(job: unknown): LogKeys {
  const keys: LogKeys = {}
  for (const key of JOB_KEYS) {
    const value = (job as Record<string, unknown> | null)?.[key]
    if (typeof value === 'string' || typeof value === 'number') keys[key] = value
  }
  return keys
}

/**
 * The keys of a whole invocation, for the lines written outside any one record (the middlewares', such
 * as the metrics flush): every record's, as far as its body parses.
 */
function batchKeys(queue: QueueName, event: SQSEvent): LogKeys {
  const each = event.Records.map((record) => {
    try {
      return { tenantId: null, ...jobKeys(JSON.parse(record.body)), messageId: record.messageId }
    } catch {
      return { tenantId: null, messageId: record.messageId }
    }
  })
  return { queue, ...keysOfAll(each) }
}

/**
 * Builds an SQS worker. Powertools' batch processor runs `fn` for each record of the batch, concurrently,
 * and answers with the records that failed (`reportBatchItemFailures`), so one poison message never
 * retries the batch: a record that does not parse with `schema` (zod) fails alone, before `fn` sees it.
 * After `maxReceiveCount` receives, SQS (or the local queue) moves a failing message to its DLQ.
 *
 * Each record runs in its own log scope (shared/logger.ts): every line written while it is handled, by
 * any module, carries `queue`, `messageId` and the job's ids (`jobId`, `tenantId`, `ticketId`, ...), and
 * so does its trace subsegment (`Job <queue>`, annotated). The outbox jobs it enqueued are published
 * when `fn` settled. Work that is cheaper done for several records at once (the embed worker's articles)
 * batches the calls `fn` makes for the records of one invocation (functions/workers/embed.ts).
 */
export function sqsWorker<S extends z.ZodType>(
  queue: QueueName,
  schema: S,
  fn: (job: z.output<S>, ctx: JobContext) => Promise<unknown>,
) {
  const def = queues.find((q) => q.name === queue)
  if (!def) throw new Error(`queue ${queue} is not in shared/routes.ts`)
  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const deps = await getDeps()
    const errors = new Map<string, string>()
    batchErrors.set(event, errors)
    const onRecord = (record: SQSRecord) =>
      // A job whose body does not parse has no tenant to name; its line says so rather than omit the key.
      withLogKeys({ queue, messageId: record.messageId, tenantId: null }, async () => {
        const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? 1)
        const jobs: ClaimedJob[] = []
        try {
          const job = schema.parse(JSON.parse(record.body))
          addLogKeys(jobKeys(job))
          const ctx = { deps, record, receiveCount, isLastAttempt: receiveCount >= def.maxReceiveCount, jobs }
          await traced(`Job ${queue}`, () => fn(job, ctx))
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error)
          errors.set(record.messageId, message)
          logger.warn('job failed', { receiveCount, error: message })
          throw error
        } finally {
          // What the job committed leaves now, whether or not a later step of it failed.
          await publishJobs(deps, jobs)
        }
      })
    return processPartialResponse(event, onRecord, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    })
  }
  const wrapped = middy(handler).use(handlerMiddlewares('worker'))
  return (event: SQSEvent, context: Context) =>
    withLogKeys(batchKeys(queue, event), () => wrapped(event, context))
}
