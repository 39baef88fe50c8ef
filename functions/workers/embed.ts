import { AiProviderError } from '#shared/ai/provider'
import { logger } from '#shared/logger'
import { embedJobSchema } from '#shared/queue/jobs'
import { sqsWorker } from '#shared/queue/worker'
import { indexApprovedReply, indexArticle, markArticleIndexFailed } from '#shared/rag/indexer'

/**
 * (Re)indexes a KB article or an approved reply (shared/rag/indexer.ts). Failures are thrown so the queue
 * retries with backoff. When the failure is final — the last attempt, or an error retrying cannot fix
 * (a model that is not pulled) — the article gets `is_indexed = false` and the error first, because after
 * that the job only exists in the dead-letter queue, where nobody looks.
 */
export const handler = sqsWorker('embed', embedJobSchema, async (job, { deps, isLastAttempt }) => {
  try {
    const result =
      job.kind === 'article'
        ? await indexArticle(deps.sql, deps.ai, job.tenantId, job.articleId)
        : await indexApprovedReply(deps.sql, deps.ai, job.tenantId, job.approvedReplyId)
    if (result.changed) logger.debug('indexed', { job, ...result })
  } catch (error) {
    const final = isLastAttempt || (error instanceof AiProviderError && !error.retryable)
    if (final && job.kind === 'article') {
      const message = error instanceof Error ? error.message : String(error)
      await markArticleIndexFailed(deps.sql, job.tenantId, job.articleId, message)
    }
    throw error
  }
})
