import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import middy from '@middy/core'
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import type { z } from 'zod'
import { type Deps, getDeps } from '../deps.ts'
import { logger } from '../logger.ts'
import { handlerMiddlewares, serviceName, tracingWanted, useTracer } from '../observability.ts'
import { flushOutbox } from '../queue/outbox.ts'
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
}

/**
 * Errors of the last batch by message id. Lambda's response carries only ids; the local runtime reads
 * this to keep the error next to a dead-lettered job (in AWS the logs hold it).
 */
export const batchErrors = new WeakMap<SQSEvent, Map<string, string>>()

/**
 * Builds an SQS worker: each record is parsed with zod and handled on its own, and only the records that
 * failed are reported back (`reportBatchItemFailures`), so one poison message never retries the batch.
 * After `maxReceiveCount` receives, SQS (or the local queue) moves a failing message to its DLQ. Jobs that
 * the records wrote to the outbox are published after the batch.
 */
export function sqsWorker<S extends z.ZodType>(
  queue: QueueName,
  schema: S,
  fn: (job: z.output<S>, ctx: JobContext) => Promise<void>,
) {
  return sqsBatchWorker(queue, schema, (jobs, deps) =>
    Promise.allSettled(jobs.map(({ job, ...ctx }) => fn(job, { ...ctx, deps }))),
  )
}

/** One parsed record of a batch, as {@link sqsBatchWorker} hands it over. */
export interface BatchJob<T> extends Omit<JobContext, 'deps'> {
  job: T
}

/**
 * Builds an SQS worker that handles a batch together (for work that is cheaper done for several jobs at
 * once, such as embedding); {@link sqsWorker} is this with one `fn` call per record. Each record is parsed
 * with zod; a record that does not parse or that `fn` reports failed (a settled result of `rejected`, in
 * record order) is reported back alone (`reportBatchItemFailures`, through Powertools' batch processor) and
 * retried alone, and outbox jobs are published after the batch. `fn` throwing fails every record it was
 * given.
 */
export function sqsBatchWorker<S extends z.ZodType>(
  queue: QueueName,
  schema: S,
  fn: (jobs: BatchJob<z.output<S>>[], deps: Deps) => Promise<PromiseSettledResult<unknown>[]>,
) {
  const def = queues.find((q) => q.name === queue)
  if (!def) throw new Error(`queue ${queue} is not in shared/routes.ts`)
  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const deps = await getDeps()
    const errors = new Map<string, string>()
    batchErrors.set(event, errors)
    // Every record is parsed first, so `fn` sees the whole batch; a record's outcome is its parse error or
    // its result in the batch.
    const jobs: BatchJob<z.output<S>>[] = []
    const outcomes = new Map<string, { index: number } | { parseError: unknown }>()
    for (const record of event.Records) {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? 1)
      try {
        const job = schema.parse(JSON.parse(record.body))
        outcomes.set(record.messageId, { index: jobs.length })
        jobs.push({ job, record, receiveCount, isLastAttempt: receiveCount >= def.maxReceiveCount })
      } catch (parseError) {
        outcomes.set(record.messageId, { parseError })
      }
    }
    const results = jobs.length
      ? fn(jobs, deps).catch((reason: unknown) =>
          jobs.map((): PromiseSettledResult<unknown> => ({ status: 'rejected', reason })),
        )
      : Promise.resolve([])
    const onRecord = async (record: SQSRecord) => {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? 1)
      try {
        const outcome = outcomes.get(record.messageId)!
        if ('parseError' in outcome) throw outcome.parseError
        const result = (await results)[outcome.index]
        if (!result) throw new Error('the batch handler returned no result')
        if (result.status === 'rejected') throw result.reason
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        errors.set(record.messageId, message)
        logger.warn('job failed', { queue, messageId: record.messageId, receiveCount, error: message })
        throw error
      }
    }
    const processor = new BatchProcessor(EventType.SQS)
    const response = await processPartialResponse(event, onRecord, processor, {
      context,
      throwOnFullBatchFailure: false,
    })
    // Jobs the records enqueued (drafts from a sync, a WHMCS note from a draft) leave right away.
    await flushOutbox(deps)
    return response
  }
  return middy(handler).use(handlerMiddlewares('worker'))
}
