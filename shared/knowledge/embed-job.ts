/**
 * One `embed` job, as the embed worker runs it (functions/workers/embed.ts): an article or an approved
 * reply, and what a final failure leaves on the article.
 */
import DataLoader from 'dataloader'
import type { AiProvider } from '../ai/provider.ts'
import { AiProviderError } from '../ai/provider.ts'
import type { Sql } from '../db/sql.ts'
import { keysOfAll, logger, withLogKeys } from '../logger.ts'
import type { EmbedJob } from '../queue/jobs.ts'
import {
  type ArticleJob,
  type IndexResult,
  indexApprovedReply,
  indexArticles,
  markArticleIndexFailed,
  UnindexableArticleError,
} from './indexer.ts'

interface EmbedDeps {
  sql: Sql
  ai: AiProvider
}

type ArticleLoad = { job: ArticleJob & { jobId?: string }; deps: EmbedDeps }

/**
 * Runs one job; each job fails alone, so the queue retries it with backoff. When a failure is final — the
 * last attempt, or an error retrying cannot fix (a model that is not pulled, an article the chunker
 * refuses) — the article gets `is_indexed = false` and the error first, because after that the job only
 * exists in the dead-letter queue, where nobody looks.
 *
 * The article jobs of one invocation are indexed together: the worker handles its records concurrently,
 * and a DataLoader gathers the loads they make in the same tick into one `indexArticles` call (one read,
 * one embedding call per tenant, parallel writes). Each load gets its own article's outcome, so a failure
 * still belongs to its job alone. No cache: a redelivered job must index again.
 */
export function embedJobRunner(): (deps: EmbedDeps, job: EmbedJob, isLastAttempt: boolean) => Promise<void> {
  const articles = new DataLoader<ArticleLoad, IndexResult>(indexLoadedArticles, { cache: false })
  return async (deps, job, isLastAttempt) => {
    try {
      // No await before the load: every record of the invocation reaches it in the same tick.
      const result =
        job.kind === 'article'
          ? await articles.load({ job, deps })
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
  }
}

async function indexLoadedArticles(batch: readonly ArticleLoad[]): Promise<(IndexResult | Error)[]> {
  // One invocation has one set of dependencies; the first load's serve the batch.
  const { sql, ai } = batch[0]!.deps
  const jobs = batch.map((l) => l.job)
  // The loader runs in the scope of the record that loaded first: the batch's lines name all of them.
  const keys = keysOfAll(jobs.map((j) => ({ jobId: j.jobId, tenantId: j.tenantId, articleId: j.articleId })))
  const results = await withLogKeys({ ...keys, messageId: undefined }, () => indexArticles(sql, ai, jobs))
  return results.map((r) =>
    r.status === 'fulfilled' ? r.value : r.reason instanceof Error ? r.reason : new Error(String(r.reason)),
  )
}
