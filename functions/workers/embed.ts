import { AiProviderError } from '#shared/ai/provider'
import { sqsBatchWorker } from '#shared/handlers/sqs-worker'
import {
  indexApprovedReply,
  indexArticles,
  markArticleIndexFailed,
  UnindexableArticleError,
} from '#shared/knowledge/indexer'
import { logger } from '#shared/logger'
import { embedJobSchema } from '#shared/queue/jobs'

/**
 * (Re)indexes KB articles and approved replies (shared/knowledge/indexer.ts). The articles of a batch are
 * indexed together (`indexArticles`: one read, one embedding call, parallel writes); each job still
 * fails alone, so the queue retries it with backoff. When a failure is final — the last attempt, or an
 * error retrying cannot fix (a model that is not pulled) — the article gets `is_indexed = false` and the
 * error first, because after that the job only exists in the dead-letter queue, where nobody looks. An
 * article the chunker refuses (UnindexableArticleError) fails alone and at once, its neighbours indexed.
 */
export const handler = sqsBatchWorker('embed', embedJobSchema, async (jobs, deps) => {
  const articles = jobs.flatMap((j, i) => (j.job.kind === 'article' ? [{ ...j.job, i }] : []))
  const results: PromiseSettledResult<unknown>[] = new Array(jobs.length)
  // A failure of the batch's shared steps (reading the articles) fails each article job on its own.
  const indexed = await indexArticles(deps.sql, deps.ai, articles).catch((reason: unknown) =>
    articles.map((): PromiseSettledResult<unknown> => ({ status: 'rejected', reason })),
  )
  articles.forEach((a, n) => {
    results[a.i] = indexed[n]!
  })
  await Promise.all(
    jobs.map(async ({ job }, i) => {
      if (job.kind !== 'approved_reply') return
      results[i] = await indexApprovedReply(deps.sql, deps.ai, job.tenantId, job.approvedReplyId).then(
        (value) => ({ status: 'fulfilled', value }),
        (reason: unknown) => ({ status: 'rejected', reason }),
      )
    }),
  )
  for (const [i, { job, isLastAttempt }] of jobs.entries()) {
    const result = results[i]!
    if (result.status === 'fulfilled') {
      const value = result.value as { changed: boolean }
      if (value.changed) logger.debug('indexed', { job, ...value })
      continue
    }
    const error = result.reason
    const final =
      isLastAttempt ||
      ((error instanceof AiProviderError || error instanceof UnindexableArticleError) && !error.retryable)
    if (final && job.kind === 'article') {
      const message = error instanceof Error ? error.message : String(error)
      await markArticleIndexFailed(deps.sql, job.tenantId, job.articleId, message)
    }
  }
  return results
})
