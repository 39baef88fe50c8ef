import DataLoader from 'dataloader'
import { AiProviderError } from '#shared/ai/provider'
import { getDeps } from '#shared/deps'
import { sqsWorker } from '#shared/handlers/sqs-worker'
import {
  type ArticleJob,
  type IndexResult,
  indexApprovedReply,
  indexArticles,
  markArticleIndexFailed,
  UnindexableArticleError,
} from '#shared/knowledge/indexer'
import { keysOfAll, logger, withLogKeys } from '#shared/logger'
import { embedJobSchema } from '#shared/queue/jobs'

/**
 * The article jobs of one invocation, indexed together: the worker handles its records concurrently, and
 * the DataLoader gathers the `load` calls they make in the same tick into one `indexArticles` call (one
 * read, one embedding call per tenant, parallel writes). Each load gets its own article's outcome, so a
 * failure still belongs to its job alone. No cache: a redelivered job must index again.
 */
const articles = new DataLoader<ArticleJob & { jobId?: string }, IndexResult>(
  async (batch) => {
    const { sql, ai } = await getDeps()
    // The loader runs in the scope of the record that loaded first: the batch's lines name all of them.
    const keys = keysOfAll(
      batch.map((j) => ({ jobId: j.jobId, tenantId: j.tenantId, articleId: j.articleId })),
    )
    const results = await withLogKeys({ ...keys, messageId: undefined }, () => indexArticles(sql, ai, batch))
    return results.map((r) =>
      r.status === 'fulfilled' ? r.value : r.reason instanceof Error ? r.reason : new Error(String(r.reason)),
    )
  },
  { cache: false },
)

/**
 * (Re)indexes KB articles and approved replies (shared/knowledge/indexer.ts); the articles of a batch are
 * indexed together (`articles` above). Each job fails alone, so the queue retries it with backoff. When a
 * failure is final — the last attempt, or an error retrying cannot fix (a model that is not pulled) — the
 * article gets `is_indexed = false` and the error first, because after that the job only exists in the
 * dead-letter queue, where nobody looks. An article the chunker refuses (UnindexableArticleError) fails
 * alone and at once, its neighbours indexed.
 */
export const handler = sqsWorker('embed', embedJobSchema, async (job, { deps, isLastAttempt }) => {
  try {
    // No await before the load: every record of the invocation reaches it in the same tick.
    const result =
      job.kind === 'article'
        ? await articles.load(job)
        : await indexApprovedReply(deps.sql, deps.ai, job.tenantId, job.approvedReplyId)
    if (result.changed) logger.debug('indexed', { job, ...result })
  } catch (error) {
    const final =
      isLastAttempt ||
      ((error instanceof AiProviderError || error instanceof UnindexableArticleError) && !error.retryable)
    if (final && job.kind === 'article') {
      const message = error instanceof Error ? error.message : String(error)
      await markArticleIndexFailed(deps.sql, job.tenantId, job.articleId, message)
    }
    throw error
  }
})
