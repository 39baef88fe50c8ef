/**
 * Metrics and traces: the one owner of Powertools' `Metrics` and `Tracer` (namespace, service name, when
 * they are on). Callers state one fact per call (`recordDraft`, `recordWebhookEvent`, ...) or wrap one
 * outbound call (`traced`, `observeModelCall`); they never touch Powertools directly.
 *
 * Metrics are CloudWatch EMF lines on stdout, flushed by `logMetrics` after every invocation (see
 * `handlerMiddlewares`). Outside Lambda (`npm start`, tests, benchmarks) they are off unless
 * `POWERTOOLS_METRICS_DISABLED=false` is set, so the local log stays readable (shared/config.ts,
 * `processEnv`, which holds every variable this module reads).
 *
 * Tracing follows Powertools' own rule (on only inside Lambda, off with `POWERTOOLS_TRACE_ENABLED=false`)
 * and only in workers, which load the Tracer with {@link useTracer} (shared/handlers/sqs-worker.ts). A job is
 * model, WHMCS and database time, which is what a trace should split; the X-Ray SDK behind the Tracer is
 * ~125 KB that every cold start would parse and run, so HTTP functions, whose Lambda segment already is
 * their database time, neither bundle nor load it. Where no Tracer is installed, `traced` is a plain call.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import type { MetricUnit as Unit } from '@aws-lambda-powertools/metrics/types'
import type { Tracer } from '@aws-lambda-powertools/tracer'
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware'
import type middy from '@middy/core'
import { processEnv } from './config.ts'
import { logger, logKeys } from './logger.ts'

export const serviceName = processEnv.serviceName

/**
 * Powertools warns on every flush that has no application metrics; most HTTP requests record none, so in
 * Lambda that would be one WARN line per request. That one message is demoted to debug; every other
 * warning (a bad dimension, a skipped metric) stays a warning.
 */
const metricsLogger = {
  debug: (...args: unknown[]) => logger.debug(String(args[0])),
  info: (...args: unknown[]) => logger.info(String(args[0])),
  warn: (...args: unknown[]) =>
    /^No application metrics to publish/.test(String(args[0]))
      ? logger.debug(String(args[0]))
      : logger.warn(String(args[0])),
  error: (...args: unknown[]) => logger.error(String(args[0])),
}

/** The one Metrics instance; exported for the handler middlewares and tests only. */
const metrics = new Metrics({
  namespace: processEnv.metricsNamespace,
  serviceName,
  logger: metricsLogger,
})

let tracer: Tracer | undefined

/** Whether this process should trace: Powertools' own rule, checked before anything is loaded. */
export function tracingWanted(): boolean {
  return processEnv.tracing
}

/** Installs the Tracer `traced`, `captureAwsClient` and the worker middlewares use from now on. */
export function useTracer(instance: Tracer): void {
  tracer = instance
}

/** True once a Tracer is installed and tracing is enabled. */
export function isTracing(): boolean {
  return tracer?.isTracingEnabled() ?? false
}

/**
 * The Powertools middlewares every Lambda handler gets: the logger's Lambda context (request id, cold
 * start) on every line, the EMF flush after each invocation (with a `ColdStart` metric), and, for a
 * worker with a Tracer, a `## handler` trace subsegment. Never for HTTP: that middleware would mark every
 * mapped 4xx as a fault.
 */
export function handlerMiddlewares(kind: 'http' | 'worker'): middy.MiddlewareObj[] {
  const chain = [
    injectLambdaContext(logger),
    logMetrics(metrics, { captureColdStartMetric: true }),
  ] as middy.MiddlewareObj[]
  // Responses hold customer text: never copy them into trace metadata.
  if (tracer && kind === 'worker')
    chain.unshift(captureLambdaHandler(tracer, { captureResponse: false }) as middy.MiddlewareObj)
  return chain
}

/**
 * Runs `fn` in an X-Ray subsegment called `name` (a no-op passthrough when tracing is off), annotated with
 * the keys of the log scope it runs in (tenant, job, ticket or article: shared/logger.ts), so each
 * subsegment of a job says whose it is and traces can be searched by them. Errors mark the subsegment:
 * client errors (an exposed 4xx) as `error`, anything else as `fault`.
 */
export async function traced<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!tracer) return fn()
  return tracer.provider.captureAsyncFunc(name, async (subsegment) => {
    for (const [key, value] of Object.entries(logKeys())) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        subsegment?.addAnnotation(key, value)
    }
    try {
      return await fn()
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode
      if (typeof status === 'number' && status < 500) subsegment?.addErrorFlag()
      else subsegment?.addError(error as Error)
      throw error
    } finally {
      subsegment?.close()
    }
  }) as Promise<T>
}

/** Adds X-Ray capture to an AWS SDK v3 client when tracing is on; returns the same client. */
export function captureAwsClient<T>(client: T): T {
  return tracer ? tracer.captureAWSv3Client(client) : client
}

/** One metric with one dimension, published on its own so the dimension does not stick to others. */
function dimensioned(name: string, unit: Unit, value: number, dimension: [string, string]): void {
  const single = metrics.singleMetric()
  single.addDimension(dimension[0], dimension[1])
  single.addMetric(name, unit, value)
}

/**
 * A call to the model host: traced as `Model <operation>`, its latency (`ModelLatency`) or its failure
 * (`ModelErrors`) recorded per operation. Retries happen inside `fn`, so one call is one data point.
 */
export async function observeModelCall<T>(operation: 'chat' | 'embed', fn: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    const result = await traced(`Model ${operation}`, fn)
    dimensioned('ModelLatency', MetricUnit.Milliseconds, performance.now() - started, [
      'operation',
      operation,
    ])
    return result
  } catch (error) {
    dimensioned('ModelErrors', MetricUnit.Count, 1, ['operation', operation])
    throw error
  }
}

/** A stored draft: `DraftsGenerated`, `DraftConfidence`, `DraftLatency`, and escalations by reason. */
export function recordDraft(draft: {
  confidence: number
  latencyMs: number
  escalationReasons: readonly string[]
}): void {
  metrics.addMetric('DraftsGenerated', MetricUnit.Count, 1)
  metrics.addMetric('DraftConfidence', MetricUnit.Percent, draft.confidence)
  metrics.addMetric('DraftLatency', MetricUnit.Milliseconds, draft.latencyMs)
  if (draft.escalationReasons.length > 0) metrics.addMetric('DraftsEscalated', MetricUnit.Count, 1)
  for (const reason of new Set(draft.escalationReasons))
    dimensioned('DraftEscalations', MetricUnit.Count, 1, ['reason', reason])
}

/** An accepted WHMCS webhook: `WebhookEvents` by event name, or `WebhookDuplicates` for a redelivery. */
export function recordWebhookEvent(event: string | null): void {
  if (event === null) metrics.addMetric('WebhookDuplicates', MetricUnit.Count, 1)
  else dimensioned('WebhookEvents', MetricUnit.Count, 1, ['event', event])
}

/** One WHMCS sync run: `SyncRecords` (tickets processed) and `SyncRuns` by outcome. */
export function recordSync(run: { outcome: string; recordsProcessed?: number }): void {
  if (run.recordsProcessed !== undefined)
    metrics.addMetric('SyncRecords', MetricUnit.Count, run.recordsProcessed)
  dimensioned('SyncRuns', MetricUnit.Count, 1, ['outcome', run.outcome])
}

/** One attempt to post to WHMCS (`reply` or `note`): `WhmcsSends` by outcome (`error` when it threw). */
export function recordWhmcsSend(kind: 'reply' | 'note', outcome: string): void {
  const single = metrics.singleMetric()
  single.addDimensions({ kind, outcome })
  single.addMetric('WhmcsSends', MetricUnit.Count, 1)
}
