/**
 * Indexing of knowledge sources into `kb_chunks` (docs/ARCHITECTURE.md): KB articles and approved replies
 * (staff text only: see indexApprovedReply).
 *
 * One source (an article, an approved reply) owns the chunk rows whose `source` is its key
 * (`kb_article:12`, `approved_reply:7`). Indexing makes those rows equal to the source's current chunks:
 * - new chunk texts are embedded and inserted (multi-row), stamped with the source's version;
 * - rows no longer produced are archived (`is_current = false`, `archived_at`), never deleted;
 * - an archived row whose text comes back is made current again instead of being embedded twice;
 * - `chunk_hash` is unique per tenant, so a text that another live source already indexed is not stored
 *   twice (it stays with its first owner); one an archived source left behind is taken over.
 *
 * Embedding runs BEFORE the write transaction (never call a model while a transaction is open, and the
 * local pool has one connection), and everything is written in ONE transaction, so a failure leaves
 * nothing half-written. If the source changed while its chunks were being embedded, the work is redone
 * against the new content. Running the same indexing twice changes nothing the second time.
 */

import { createHash } from 'node:crypto'
import pLimit from 'p-limit'
import type { AiProvider } from '../ai/provider.ts'
import { MAX_ARTICLE_CHARS } from '../api/kb.ts'
import { audit } from '../audit/record.ts'
import type { Db, Sql } from '../db/sql.ts'
import { maskPii } from '../text/pii.ts'
import { estimateTokens } from '../text/words.ts'
import { type Chunk, chunkDocument, normaliseForHash } from './chunk.ts'
import {
  type ChunkOwner,
  changedAnything,
  embedMissing,
  emptySync,
  type IndexChunk,
  type IndexResult,
  retryWhileSourceChanges,
  SourceChangedError,
  syncSourceChunks,
  uniqueChunks,
} from './chunk-sync.ts'
import { accountValues, addressesSharedWithCustomer, addressValue, staffOnlyText } from './learning-text.ts'
import { STAFF_REPLY_TITLE } from './search.ts'

export type { ChunkOwner, IndexResult } from './chunk-sync.ts'
// The chunk-writing core lives in chunk-sync.ts; its entry point and types are re-exported for callers.
export { syncSourceChunks }

const ARTICLE_SOURCE = (id: number) => `kb_article:${id}`
const REPLY_SOURCE = (id: number) => `approved_reply:${id}`

interface ArticleRow {
  id: number
  tenantId: number | null
  title: string
  content: string
  category: string
  isActive: boolean
  deletedAt: Date | null
  version: number
  isIndexed: boolean
  indexError: string | null
  createdBy: number | null
}

/** The kb_articles columns of an ArticleRow. */
const articleColumns = (sql: Db) =>
  sql`id, tenant_id, title, content, category, is_active, deleted_at, version, is_indexed, index_error, created_by`

const loadArticle = async (sql: Db, tenantId: number | null, articleId: number, lock = false) =>
  (
    await sql<ArticleRow[]>`
      SELECT ${articleColumns(sql)}
      FROM kb_articles WHERE id = ${articleId} AND tenant_id IS NOT DISTINCT FROM ${tenantId}
      ${lock ? sql`FOR UPDATE` : sql``}`
  )[0]

/** What makes two reads of an article index the same way. */
const fingerprint = (a: ArticleRow) =>
  JSON.stringify([a.title, a.content, a.isActive, a.deletedAt !== null, a.version])

/** The owner of an article's chunks. Global articles (tenant NULL) are `global_kb`. */
export const articleOwner = (a: Pick<ArticleRow, 'id' | 'tenantId' | 'version'>): ChunkOwner => ({
  source: ARTICLE_SOURCE(a.id),
  sourceKind: a.tenantId === null ? 'global_kb' : 'tenant_kb',
  articleId: a.id,
  approvedReplyId: null,
  version: a.version,
  // Category and tags stay on the article (search joins it): copying them here would go stale on edits.
  metadata: {},
})

/**
 * The tenant an audit row of `article` goes to: its own, or for a global article the tenant of the
 * superadmin who wrote it (`audit_logs.tenant_id` is NOT NULL). Null when there is none to credit.
 */
async function auditTenant(sql: Db, article: ArticleRow): Promise<number | null> {
  if (article.tenantId !== null) return article.tenantId
  if (article.createdBy === null) return null
  const [user] = await sql<
    { tenantId: number }[]
  >`SELECT tenant_id FROM users WHERE id = ${article.createdBy}`
  return user?.tenantId ?? null
}

/**
 * (Re)indexes KB article `articleId` of `tenantId` (null = global) from its current content: see the
 * module comment. A deleted or inactive article gets all its chunks archived. Ends with
 * `is_indexed = true, index_error = NULL` and a `kb_indexed` audit row when anything changed.
 * @internal
 */
export async function indexArticle(
  sql: Sql,
  ai: AiProvider,
  tenantId: number | null,
  articleId: number,
): Promise<IndexResult> {
  return retryWhileSourceChanges(`article ${articleId}`, async () => {
    const before = await loadArticle(sql, tenantId, articleId)
    if (!before) return { status: 'missing', changed: false, ...emptySync() }
    const chunks = chunksOf(before)
    const vectors = await embedMissing(sql, ai, tenantId, chunks)
    return writeArticle(sql, ai, before, chunks, vectors)
  })
}

/** An article to index: what an `embed` job of kind `article` names. */
export interface ArticleJob {
  tenantId: number | null
  articleId: number
}

/** Article transactions {@link indexArticles} runs at once (a server pool has 10 connections by default). */
const INDEX_WRITE_CONCURRENCY = 4

/**
 * Indexes several articles (an embed worker's batch) with the work of {@link indexArticle} per article,
 * but shared where it can be: the articles are read in one query, their new chunks embedded in one call
 * per tenant, and the write transactions run `concurrency` at a time (p-limit), so a server works on
 * several HNSW inserts at once instead of waiting for each article's round trips. An article that
 * changed while it was embedded, or whose new chunk a parallel write of the same tenant inserted first
 * (`chunk_hash` is unique per tenant), is redone on its own by {@link indexArticle}.
 *
 * Returns one settled result per job, in job order: a failure belongs to its article only.
 */
export async function indexArticles(
  sql: Sql,
  ai: AiProvider,
  jobs: readonly ArticleJob[],
  options: { concurrency?: number } = {},
): Promise<PromiseSettledResult<IndexResult>[]> {
  if (jobs.length === 0) return []
  const rows = await sql<ArticleRow[]>`
    SELECT ${articleColumns(sql)}
    FROM kb_articles WHERE id IN ${sql([...new Set(jobs.map((j) => j.articleId))])}`
  // The job's tenant must be the article's: another tenant's id is as missing as an unknown one.
  const found = jobs.map((j) => rows.find((r) => r.id === j.articleId && r.tenantId === j.tenantId))
  // Each article is chunked in its own try: one the chunker refuses fails its own job below, and the
  // batch's other articles are embedded and written as if it were not there.
  const chunked = found.map((a): { chunks: Chunk[] } | { error: unknown } => {
    try {
      return { chunks: a ? chunksOf(a) : [] }
    } catch (error) {
      return { error }
    }
  })
  const chunks = chunked.map((c) => ('chunks' in c ? c.chunks : []))
  const vectors = new Map<number | null, Map<string, number[]>>()
  try {
    for (const tenantId of new Set(jobs.map((j) => j.tenantId))) {
      const ofTenant = chunks.filter((_, i) => jobs[i]!.tenantId === tenantId).flat()
      vectors.set(tenantId, await embedMissing(sql, ai, tenantId, uniqueChunks(ofTenant)))
    }
  } catch (error) {
    // The model failed for the batch: every article fails with it (the queue retries each job).
    return jobs.map(() => ({ status: 'rejected' as const, reason: error }))
  }
  const limit = pLimit(options.concurrency ?? INDEX_WRITE_CONCURRENCY)
  return Promise.allSettled(
    jobs.map((job, i) =>
      limit(async (): Promise<IndexResult> => {
        const before = found[i]
        const own = chunked[i]!
        if ('error' in own) throw own.error
        if (!before) return { status: 'missing', changed: false, ...emptySync() }
        try {
          return await writeArticle(sql, ai, before, chunks[i]!, vectors.get(job.tenantId)!)
        } catch (error) {
          if (!(error instanceof SourceChangedError) && !isChunkHashConflict(error)) throw error
          return indexArticle(sql, ai, job.tenantId, job.articleId)
        }
      }),
    ),
  )
}

/** A parallel write of the same tenant inserted one of this article's new chunk texts first. */
const isChunkHashConflict = (error: unknown) =>
  (error as { code?: string }).code === '23505' &&
  /chunk_hash/.test(String((error as { constraint_name?: string }).constraint_name ?? ''))

/**
 * An article the chunker cannot split: longer than the API ever stores, or content it throws on. Chunking
 * is a pure function of the article, so retrying cannot help; the embed worker records it at once.
 */
export class UnindexableArticleError extends Error {
  readonly retryable = false
}

/** The chunks an article should have now: none when it is deleted or inactive. */
function chunksOf(a: ArticleRow): Chunk[] {
  if (!(a.isActive && a.deletedAt === null)) return []
  // Only a row written around the API can be longer; its chunks would be work without bound.
  if (a.content.length > MAX_ARTICLE_CHARS) {
    throw new UnindexableArticleError(
      `the article is ${a.content.length} characters long, more than the ${MAX_ARTICLE_CHARS} an article may have`,
    )
  }
  try {
    return uniqueChunks(chunkDocument({ title: a.title, content: a.content }))
  } catch (error) {
    throw new UnindexableArticleError(`the article cannot be chunked: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

/**
 * The write transaction of indexing `before` (read before embedding): re-reads the article locked, fails
 * with SourceChangedError when it changed meanwhile, then syncs its chunks and flags and audits.
 */
async function writeArticle(
  sql: Sql,
  ai: AiProvider,
  before: ArticleRow,
  chunks: Chunk[],
  vectors: Map<string, number[]>,
): Promise<IndexResult> {
  const { tenantId, id: articleId } = before
  const live = before.isActive && before.deletedAt === null
  return await sql.begin(async (tx) => {
    const article = await loadArticle(tx, tenantId, articleId, true)
    if (!article) return { status: 'missing' as const, changed: false, ...emptySync() }
    if (fingerprint(article) !== fingerprint(before)) throw new SourceChangedError('article changed')
    const sync = await syncSourceChunks(tx, tenantId, articleOwner(article), chunks, vectors, ai.embedModel)
    const flagsStale = live && (!article.isIndexed || article.indexError !== null)
    const changed = changedAnything(sync) || flagsStale
    if (flagsStale) {
      await tx`UPDATE kb_articles SET is_indexed = true, index_error = NULL WHERE id = ${articleId}`
    }
    if (changed) {
      const auditTo = await auditTenant(tx, article)
      if (auditTo !== null) {
        await audit(tx, {
          tenantId: auditTo,
          action: 'kb_indexed',
          entityType: 'kb_article',
          entityId: articleId,
          details: { ...sync, version: article.version, embedModel: ai.embedModel, live },
        })
      }
    }
    return { status: live ? ('indexed' as const) : ('archived' as const), changed, ...sync }
  })
}

/**
 * Records that indexing article `articleId` failed for good (the job's last attempt): `is_indexed = false`
 * and the error, where the KB screen shows it.
 */
export async function markArticleIndexFailed(
  sql: Db,
  tenantId: number | null,
  articleId: number,
  error: string,
): Promise<void> {
  await sql`
    UPDATE kb_articles SET is_indexed = false, index_error = ${error.slice(0, 2_000)}
    WHERE id = ${articleId} AND tenant_id IS NOT DISTINCT FROM ${tenantId}`
}

interface ApprovedReplyRow {
  id: number
  finalReply: string
  isCorrection: boolean
  ticketId: number
  aiReplyId: number | null
  usedForTraining: boolean
  question: string | null
  subject: string
  ticketContent: string
  /** Every customer message of the ticket, oldest first. */
  customerMessages: string[]
  /** The account facts of the draft it approves (issue 30): the customer's own, never learnt. */
  accountFacts: unknown
}

/** Salt of an approved reply's chunk hash: no row hashed before issue 26 (question + answer) can match it. */
const REPLY_HASH_SALT = 'approved_reply:staff-only:v2\n'

/**
 * The address keys of `keys` (shared/knowledge/learning-text.ts) that the tenant's live KB articles, or the
 * global ones, name: in a title, the content or the public URL, as a whole host or address (a subdomain or
 * a longer name that merely contains it does not count).
 */
async function addressesKnownToKb(sql: Db, tenantId: number, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set()
  // An ARE pattern per address: every character that is not a letter or digit escaped, so it is literal.
  const patterns = keys.map(
    (k) =>
      `(^|[^[:alnum:]._@-])${addressValue(k).replace(/[^\p{L}\p{N}]/gu, '\\$&')}($|[^[:alnum:]_@.-]|\\.($|[^[:alnum:]_-]))`,
  )
  const rows = await sql<{ key: string }[]>`
    SELECT a.key FROM unnest(${sql.array(keys)}::text[], ${sql.array(patterns)}::text[]) AS a(key, pattern)
    WHERE EXISTS (
      SELECT 1 FROM kb_articles k
      WHERE (k.tenant_id = ${tenantId} OR k.tenant_id IS NULL) AND k.deleted_at IS NULL AND k.is_active
        AND (k.title || ' ' || k.content || ' ' || coalesce(k.public_url, '')) ~* a.pattern)`
  return new Set(rows.map((r) => r.key))
}

/**
 * The chunk an approved reply is indexed as, or null when nothing of it is the staff's own. Its text,
 * what retrieval returns and the prompt shows, is the staff's reply only ({@link staffOnlyText}, then PII
 * masked): never the customer's question, which could be anything, a phishing "tip" included (issue 26).
 * The question only steers retrieval: the vector is computed from the masked question and the reply.
 */
async function approvedReplyChunk(
  sql: Db,
  tenantId: number,
  r: ApprovedReplyRow,
): Promise<{ chunk: IndexChunk | null; dropped: number }> {
  const customerTexts = [r.subject, r.ticketContent, ...r.customerMessages]
  const shared = addressesSharedWithCustomer(r.finalReply, customerTexts)
  const known = await addressesKnownToKb(sql, tenantId, shared)
  const staff = staffOnlyText(r.finalReply, customerTexts, known, accountValues(r.accountFacts))
  const text = maskPii(staff.text).masked
  if (!/[\p{L}\p{N}]/u.test(text)) return { chunk: null, dropped: staff.dropped.length }
  const question = maskPii((r.question ?? `${r.subject}\n\n${r.ticketContent}`).trim()).masked
  const chunk: IndexChunk = {
    index: 0,
    heading: null,
    text,
    hash: createHash('sha256')
      .update(REPLY_HASH_SALT + normaliseForHash(text), 'utf8')
      .digest('hex'),
    tokens: estimateTokens(text),
    embedText: `${question}\n\n${text}`,
  }
  return { chunk, dropped: staff.dropped.length }
}

/**
 * Indexes approved reply `approvedReplyId` of `tenantId` as one chunk whose text is the staff's reply
 * only (the learning text of a WHMCS reply, else the final reply; see {@link approvedReplyChunk}), titled
 * {@link STAFF_REPLY_TITLE}, never with the ticket's subject. Source kind `correction` when the agent
 * rewrote the draft heavily, else `approved_example`. A reply with nothing of the staff's own left is
 * not indexed (its chunks are archived). Sets `approved_replies.used_for_training`. Idempotent.
 */
export async function indexApprovedReply(
  sql: Sql,
  ai: AiProvider,
  tenantId: number,
  approvedReplyId: number,
): Promise<IndexResult> {
  const load = async (db: Db, lock = false) =>
    (
      await db<ApprovedReplyRow[]>`
        SELECT ar.id, coalesce(ar.learning_text, ar.final_reply) AS final_reply, ar.is_correction, ar.ticket_id, ar.ai_reply_id, ar.used_for_training,
               m.content AS question, t.subject, t.content AS ticket_content,
               ARRAY(SELECT cm.content FROM messages cm
                     WHERE cm.tenant_id = ar.tenant_id AND cm.ticket_id = ar.ticket_id AND cm.role = 'user'
                     ORDER BY cm.id) AS customer_messages,
               (SELECT d.account_facts FROM ai_replies d
                WHERE d.id = ar.ai_reply_id AND d.tenant_id = ar.tenant_id) AS account_facts
        FROM approved_replies ar
        JOIN tickets t ON t.id = ar.ticket_id AND t.tenant_id = ar.tenant_id
        LEFT JOIN messages m ON m.id = ar.message_id AND m.tenant_id = ar.tenant_id
        WHERE ar.id = ${approvedReplyId} AND ar.tenant_id = ${tenantId}
        ${lock ? db`FOR UPDATE OF ar` : db``}`
    )[0]
  return retryWhileSourceChanges(`approved reply ${approvedReplyId}`, async () => {
    const before = await load(sql)
    if (!before) return { status: 'missing', changed: false, ...emptySync() }
    const { chunk } = await approvedReplyChunk(sql, tenantId, before)
    const vectors = await embedMissing(sql, ai, tenantId, chunk ? [chunk] : [])
    return await sql.begin(async (tx) => {
      const reply = await load(tx, true)
      if (!reply) return { status: 'missing' as const, changed: false, ...emptySync() }
      const current = await approvedReplyChunk(tx, tenantId, reply)
      if (current.chunk?.hash !== chunk?.hash || reply.isCorrection !== before.isCorrection) {
        throw new SourceChangedError('approved reply changed')
      }
      const sourceKind = reply.isCorrection ? ('correction' as const) : ('approved_example' as const)
      const owner: ChunkOwner = {
        source: REPLY_SOURCE(reply.id),
        sourceKind,
        articleId: null,
        approvedReplyId: reply.id,
        version: 1,
        metadata: {
          ticketId: reply.ticketId,
          aiReplyId: reply.aiReplyId,
          title: STAFF_REPLY_TITLE[sourceKind],
        },
      }
      const chunks = current.chunk ? [current.chunk] : []
      const sync = await syncSourceChunks(tx, tenantId, owner, chunks, vectors, ai.embedModel)
      // A kind flip (approved example ↔ correction) with unchanged text is a change too.
      const [kind] = await tx<{ n: number }[]>`
        UPDATE kb_chunks SET source_kind = ${owner.sourceKind}, updated_at = now()
        WHERE source = ${owner.source} AND tenant_id = ${tenantId} AND is_current
          AND source_kind <> ${owner.sourceKind}
        RETURNING 1 AS n`
      const learnt = chunks.length > 0
      const flagStale = reply.usedForTraining !== learnt
      const changed = changedAnything(sync) || flagStale || kind !== undefined
      if (flagStale) {
        await tx`UPDATE approved_replies SET used_for_training = ${learnt}, updated_at = now() WHERE id = ${reply.id}`
      }
      if (changed) {
        await audit(tx, {
          tenantId,
          action: 'kb_indexed',
          entityType: 'approved_reply',
          entityId: reply.id,
          ticketId: reply.ticketId,
          aiReplyId: reply.aiReplyId,
          // The count only: the dropped sentences are the customer's text.
          details: { ...sync, sourceKind, embedModel: ai.embedModel, droppedSentences: current.dropped },
        })
      }
      return { status: learnt ? ('indexed' as const) : ('archived' as const), changed, ...sync }
    })
  })
}
