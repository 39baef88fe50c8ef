/**
 * Hybrid retrieval over the knowledge base (docs/ARCHITECTURE.md): pgvector cosine search and Postgres
 * full-text search over the current chunks a tenant may see (its own plus the global ones), fused with
 * reciprocal rank fusion. Each leg covers the other's blind spot: vectors find paraphrases, full text finds
 * exact product names, error codes and domains that an embedding blurs.
 */
import pgvector from 'pgvector'
import type { AiProvider } from '../ai/provider.ts'
import { SOURCE_KINDS, type SourceKind } from '../api/kb.ts'
import type { Db, Sql } from '../db/sql.ts'

const ALL_KINDS: readonly SourceKind[] = SOURCE_KINDS

/**
 * The titles of learnt replies, whatever their chunk's metadata says: a ticket's subject is customer text
 * and must never be shown as a source's title (issue 26), not even from a row indexed before that rule.
 */
export const STAFF_REPLY_TITLE = {
  approved_example: 'Earlier reply by our team',
  correction: 'Correction by our team',
} as const satisfies Partial<Record<SourceKind, string>>

export interface SearchHit {
  chunkId: number
  articleId: number | null
  approvedReplyId: number | null
  title: string | null
  sourceKind: SourceKind
  text: string
  /** Cosine similarity of the query and the chunk, clamped to 0..1; null when the chunk has no vector. */
  vectorScore: number | null
  /**
   * ts_rank_cd of the any-term query with normalisation 2|32 (divided by the chunk's length, then
   * rank / (rank + 1)), so 0..1; 0 when no term matches. Small numbers: compare them, do not threshold them.
   */
  textScore: number | null
  /** Reciprocal rank fusion of both legs, normalised so rank 1 in both lists = 1. */
  fusedScore: number
  metadata: Record<string, unknown>
}

export interface HybridSearchOptions {
  tenantId: number
  query: string
  /** Hits to return. */
  k: number
  /** Restricts the source kinds searched; all four by default. */
  sourceKinds?: SourceKind[]
  /** Candidates each leg contributes to the fusion. Default max(50, 4k). */
  candidates?: number
  /**
   * Leaves out what the approved replies of this ticket taught: a replay of the desk's history drafts an
   * answered ticket again, and must not find the answer it is measured against.
   */
  excludeLearningOfTicket?: number
}

/**
 * RRF constant from Cormack et al. (2009): damps the head so one list's top rank cannot dominate.
 * @internal
 */
export const RRF_K = 60

/**
 * HNSW candidate list size, picked with bench/kb.ts (100k chunks over 10 tenants + global, filtered as
 * here, recall@10 against exact search): pgvector's default 40 starves (0.55–0.62, most queries get fewer
 * than 10 rows); with iterative scan 200 hovered at the 0.95 target between index builds (0.94–0.96) and
 * 400 held it (0.976–0.98) for ~1.5 ms more at p95 (13 → 14.5 ms in WASM Postgres). IVFFlat (lists = 100)
 * needed probes = 10 and 39 ms p95 for 0.97; exact search took 235 ms.
 * @internal
 */
export const HNSW_EF_SEARCH = 400

/**
 * How many of the text leg's best rows by plain ts_rank are re-ranked by ts_rank_cd, as a multiple of the
 * candidates it returns. Picked with bench/drafts.ts (10k chunks; the leg 43–54 ms → 15–20 ms at 4) and held
 * by the paraphrase tests (test/integration/kb.test.ts) and `npm run eval`, whose figures did not move.
 * @internal
 */
export const TEXT_PRERANK_FACTOR = 4

/**
 * Reciprocal rank fusion of ranked id lists: score(d) = Σ 1 / (RRF_K + rank(d)), divided by the best possible
 * sum (rank 1 in every list) so the result is in 0..1. Ties keep the order of first appearance.
 * @internal
 */
export function reciprocalRankFusion(lists: ReadonlyArray<readonly number[]>): Map<number, number> {
  const best = lists.length / (RRF_K + 1)
  const scores = new Map<number, number>()
  for (const list of lists) {
    for (const [i, id] of list.entries()) scores.set(id, (scores.get(id) ?? 0) + 1 / (RRF_K + i + 1))
  }
  for (const [id, score] of scores) scores.set(id, best > 0 ? score / best : 0)
  return scores
}

/**
 * The any-term tsquery of `query` as SQL: the English lexemes of the query OR-ed together. A question
 * rarely shares every word with the passage that answers it ("how do I point my domain" vs "Update the
 * nameservers"), so the all-terms `websearch_to_tsquery` alone misses most paraphrases. Lexemes are quoted
 * as tsquery literals (chr(39) = ', chr(92) = \), so no query text is ever parsed as tsquery syntax.
 */
const anyTermQuery = (sql: Db, query: string) => sql`
  (SELECT string_agg(chr(39) || replace(replace(l, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39))
                     || chr(39), ' | ')
   FROM unnest(tsvector_to_array(to_tsvector('english', ${query}))) AS l)::tsquery`

/**
 * Tenant scope of every retrieval query: the tenant's current chunks plus the global ones, of the kinds
 * asked for, without the learning of the ticket a replay leaves out.
 */
const visible = (sql: Db, leg: Leg) => sql`
  (c.tenant_id = ${leg.tenantId} OR c.tenant_id IS NULL) AND c.is_current AND c.source_kind IN ${sql(leg.kinds)}
  ${
    leg.excludeLearningOfTicket === undefined
      ? sql``
      : sql`AND (c.approved_reply_id IS NULL OR c.approved_reply_id NOT IN (
          SELECT id FROM approved_replies
          WHERE tenant_id = ${leg.tenantId} AND ticket_id = ${leg.excludeLearningOfTicket}))`
  }`

/**
 * Hybrid search for `query` over the current chunks of `tenantId` and the global KB. Embeds the query once
 * (kind 'query'), takes `candidates` from each leg, fuses them with RRF and returns the best `k`, each with
 * both raw scores. The vector leg runs in a short read-only transaction because the HNSW settings must
 * be `SET LOCAL`: with `hnsw.iterative_scan = relaxed_order` the index keeps scanning until
 * enough rows pass the tenant/current/kind filter, so a small tenant in a big shared table still gets
 * `candidates` rows instead of the handful that happened to be among the first `ef_search` neighbours.
 */
export async function hybridSearch(
  sql: Sql,
  ai: AiProvider,
  opts: HybridSearchOptions,
): Promise<SearchHit[]> {
  const kinds = opts.sourceKinds?.length ? [...new Set(opts.sourceKinds)] : ALL_KINDS
  const k = Math.max(1, Math.floor(opts.k))
  const candidates = Math.max(k, Math.floor(opts.candidates ?? Math.max(50, 4 * k)))
  const leg: Leg = {
    tenantId: opts.tenantId,
    query: opts.query,
    kinds,
    candidates,
    excludeLearningOfTicket: opts.excludeLearningOfTicket,
  }
  // The text leg needs no embedding: it starts now and runs while the query is embedded (on a server's
  // pool on a connection of its own; PGlite's one connection, and Lambda's, take the statements in turn).
  const textLeg = textSearch(sql, leg)
  // Awaited below; until then a failure must not count as unhandled (the embedding may fail first).
  textLeg.catch(() => {})
  const [embedding] = await ai.embed([opts.query], 'query')
  if (!embedding) throw new Error('the AI provider returned no query embedding')
  const queryVector = pgvector.toSql(embedding) as string
  const [byVector, byText] = await Promise.all([vectorSearch(sql, leg, queryVector), textLeg])

  const fused = reciprocalRankFusion([byVector, byText])
  const top = [...fused.entries()].sort((a, b) => b[1] - a[1]).slice(0, k)
  if (top.length === 0) return []
  return loadHits(sql, opts, queryVector, top)
}

/** What each retrieval leg searches: a tenant's visible chunks of some kinds, for a query. */
interface Leg {
  tenantId: number
  query: string
  kinds: readonly SourceKind[]
  candidates: number
  excludeLearningOfTicket: number | undefined
}

/**
 * The full-text leg: chunk ids, best first. Chunks matching every term come first, then by rank of the
 * any-term query. Dividing the rank by the chunk length (flag 2) stops long chunks winning on term count
 * alone: with the built-in provider 28 of the 32 paraphrased test questions get their article first (flag 1,
 * log length: 26; no flag: 25). `q` is MATERIALIZED on purpose: inlined, the two tsqueries are rebuilt for
 * every chunk row (a generic plan cannot fold them), which made this leg ~3x slower at 10k chunks
 * (bench/drafts.ts). The rank is ts_rank_cd (cover density: terms near each other count more), but it costs
 * ~7 µs a row, and a common word ("site", "set") makes the any-term query match half the chunks: 5,000 rows,
 * ~35 ms. So the plain ts_rank (term frequency, ~1 µs a row) picks the best TEXT_PRERANK_FACTOR × candidates
 * and only those are ranked by cover density.
 */
async function textSearch(sql: Sql, leg: Leg): Promise<number[]> {
  const rows = await sql<{ id: number }[]>`
    WITH q AS MATERIALIZED (
      SELECT websearch_to_tsquery('english', ${leg.query}) AS all_terms, ${anyTermQuery(sql, leg.query)} AS any_term
    ), matched AS MATERIALIZED (
      SELECT c.id, c.search_tsv, c.search_tsv @@ q.all_terms AS all_match FROM kb_chunks c, q
      WHERE c.search_tsv @@ q.any_term AND ${visible(sql, leg)}
      ORDER BY all_match DESC, ts_rank(c.search_tsv, q.any_term, 2 | 32) DESC, c.id
      LIMIT ${TEXT_PRERANK_FACTOR * leg.candidates}
    )
    SELECT m.id FROM matched m, q
    ORDER BY m.all_match DESC, ts_rank_cd(m.search_tsv, q.any_term, 2 | 32) DESC, m.id
    LIMIT ${leg.candidates}`.execute()
  return rows.map((r) => r.id)
}

/**
 * The vector leg: chunk ids, nearest first. Only it needs a transaction, for its SET LOCAL settings; the
 * settings and the search are sent together (a pipeline), so the transaction costs BEGIN and COMMIT, not a
 * round trip more.
 */
async function vectorSearch(sql: Sql, leg: Leg, queryVector: string): Promise<number[]> {
  const [, rows] = await sql.begin('READ ONLY', (tx) => [
    tx`SELECT set_config('hnsw.ef_search', ${String(Math.max(HNSW_EF_SEARCH, leg.candidates))}, true),
              set_config('hnsw.iterative_scan', 'relaxed_order', true)`,
    // relaxed_order may return neighbours slightly out of order; the materialised CTE re-sorts them exactly.
    tx<{ id: number }[]>`
      WITH nearest AS MATERIALIZED (
        SELECT c.id, c.embedding_vector <=> ${queryVector}::vector AS distance
        FROM kb_chunks c
        WHERE ${visible(tx, leg)}
        ORDER BY c.embedding_vector <=> ${queryVector}::vector
        LIMIT ${leg.candidates}
      )
      SELECT id FROM nearest ORDER BY distance, id`,
  ])
  return (rows as unknown as Array<{ id: number }>).map((r) => r.id)
}

/** The fused top chunks with their text, title and both raw scores, in fused order. */
async function loadHits(
  sql: Sql,
  opts: HybridSearchOptions,
  queryVector: string,
  top: Array<[number, number]>,
): Promise<SearchHit[]> {
  const rows = await sql<
    {
      id: number
      articleId: number | null
      approvedReplyId: number | null
      title: string | null
      sourceKind: SourceKind
      chunk: string
      metadataJson: Record<string, unknown>
      similarity: number | null
      textRank: number
    }[]
  >`
    SELECT c.id, c.article_id, c.approved_reply_id,
           CASE c.source_kind WHEN 'approved_example' THEN ${STAFF_REPLY_TITLE.approved_example}::text
                              WHEN 'correction' THEN ${STAFF_REPLY_TITLE.correction}::text
                              ELSE coalesce(a.title, c.metadata_json->>'title') END AS title,
           c.source_kind, c.chunk, c.metadata_json,
           1 - (c.embedding_vector <=> ${queryVector}::vector) AS similarity,
           coalesce(ts_rank_cd(c.search_tsv, ${anyTermQuery(sql, opts.query)}, 2 | 32), 0) AS text_rank
    FROM kb_chunks c LEFT JOIN kb_articles a ON a.id = c.article_id
    WHERE c.id IN ${sql(top.map(([id]) => id))} AND (c.tenant_id = ${opts.tenantId} OR c.tenant_id IS NULL)`
  const byId = new Map(rows.map((r) => [r.id, r]))
  return top.flatMap(([id, fusedScore]) => {
    const r = byId.get(id)
    if (!r) return []
    return [
      {
        chunkId: r.id,
        articleId: r.articleId,
        approvedReplyId: r.approvedReplyId,
        title: r.title,
        sourceKind: r.sourceKind,
        text: r.chunk,
        vectorScore: r.similarity === null ? null : clamp01(Number(r.similarity)),
        textScore: clamp01(Number(r.textRank)),
        fusedScore,
        metadata: r.metadataJson ?? {},
      },
    ]
  })
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0)
