/**
 * Knowledge coverage: how much of what a question is specifically about the best retrieved passages
 * mention. Nearest-neighbour similarity alone cannot tell "the KB answers this" from "the KB talks about
 * something nearby": a question about migrating a Exchange mailbox lands on the email article with the same
 * cosine as a question that article answers. What differs is the distinctive terms — those rare in the
 * tenant's KB (or absent from it altogether) that the question hinges on. A support agent reads a ticket
 * the same way: if the article never mentions the thing asked about, it does not answer it.
 *
 * Coverage = Σ idf(t)² over the question's lexemes found in the top passages / Σ idf(t)² over all its
 * lexemes, where idf is computed over the chunks the tenant can retrieve (its own plus the global KB) with
 * Postgres' English lexemes (the ones the full-text leg of hybrid search matches). A lexeme the KB never
 * contains carries the most weight and is never covered; a lexeme every chunk contains carries almost
 * none. Nothing here reads an evaluation label; the cut-off lives in the scoring space's calibration
 * (shared/trust/calibration.ts).
 */
import type { Fragment } from 'postgres'
import type { Db, Sql } from '../db/sql.ts'

/** Coverage of a question by a few passages; `terms` is the question's lexeme count. */
export interface Coverage {
  /** 0..1, rarity-weighted share of the question's lexemes the passages contain; null without lexemes. */
  score: number | null
  terms: number
  /** Lexemes no retrievable chunk contains (the question is about something the KB never mentions). */
  unknownTerms: string[]
}

/** Passages whose terms count as covering the question: the best few, as an agent would skim them. */
export const COVERAGE_PASSAGES = 1

/**
 * The rarity weight of a lexeme found in `df` of `n` chunks (smoothed, always positive).
 * @internal
 */
export function idf(df: number, n: number): number {
  return Math.log((n + 1) / (df + 0.5))
}

// Weights are idf squared: an out-of-KB question usually hinges on one or two terms the KB never mentions
// ("malware", "EPP code") amid words it mentions everywhere ("plan", "domain"), and plain idf lets the
// common words outvote them.
const weight = (df: number, n: number) => idf(df, n) ** 2

/**
 * Coverage from per-lexeme counts; pure, so the arithmetic is unit-testable.
 * @internal
 */
export function coverageOf(
  rows: ReadonlyArray<{ term: string; df: number; covered: boolean }>,
  chunks: number,
): Coverage {
  let total = 0
  let hit = 0
  const unknownTerms: string[] = []
  for (const r of rows) {
    const w = weight(r.df, chunks)
    total += w
    if (r.covered) hit += w
    if (r.df === 0) unknownTerms.push(r.term)
  }
  return {
    score: total > 0 ? Math.round((hit / total) * 1000) / 1000 : null,
    terms: rows.length,
    unknownTerms,
  }
}

/** The query's lexemes with their document frequency over the tenant's retrievable chunks. */
export interface QueryLexemes {
  terms: Array<{ term: string; df: number }>
  /** Chunks the tenant can retrieve (the idf's n). */
  chunks: number
}

// Each subquery reads kb_chunks itself, so document frequency uses the GIN index on search_tsv and the
// passage check the primary key; a shared CTE of the tenant's chunks was materialised and scanned in full
// per lexeme (55 ms at 10k chunks against 26 ms, bench/drafts.ts).
export const retrievable = (sql: Db, tenantId: number) =>
  sql`(c.tenant_id = ${tenantId} OR c.tenant_id IS NULL) AND c.is_current`

/** A lexeme as a tsquery literal (chr(39) = ', chr(92) = \), as in shared/knowledge/search.ts. */
export const lexemeQuery = (sql: Db, term: Fragment) => sql`
  (chr(39) || replace(replace(${term}, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39))
    || chr(39))::tsquery`

/**
 * The first half of knowledgeCoverage, in one statement: the lexemes of `query` and the document frequency
 * of each over the tenant's current chunks. It does not depend on the passages, so the draft pipeline
 * runs it beside retrieval (shared/drafts/stages.ts).
 */
export async function queryLexemes(
  sql: Sql,
  opts: { tenantId: number; query: string },
): Promise<QueryLexemes> {
  const rows = await sql<{ term: string; df: number; chunks: number }[]>`
    WITH l AS (
      SELECT DISTINCT term, ${lexemeQuery(sql, sql`term`)} AS q
      FROM unnest(tsvector_to_array(to_tsvector('english', ${opts.query}))) AS term
    )
    -- chunks: the same scope as retrievable(), as two counts, because each one can be an index-only scan of
    -- ix_kb_current_tenant (migration 011); the OR of both read every chunk's heap tuple.
    SELECT l.term,
      (SELECT count(*) FROM kb_chunks c WHERE c.search_tsv @@ l.q AND ${retrievable(sql, opts.tenantId)})::int AS df,
      ((SELECT count(*) FROM kb_chunks c WHERE c.tenant_id = ${opts.tenantId} AND c.is_current)
        + (SELECT count(*) FROM kb_chunks c WHERE c.tenant_id IS NULL AND c.is_current))::int AS chunks
    FROM l ORDER BY l.term`
  return { terms: rows.map(({ term, df }) => ({ term, df })), chunks: rows[0]?.chunks ?? 0 }
}

/**
 * The second half: coverage of the query's lexemes by the chunks `passageIds` (those the tenant can
 * retrieve), in one statement for all lexemes.
 */
export async function coverageByPassages(
  sql: Sql,
  opts: { tenantId: number; lexemes: QueryLexemes; passageIds: readonly number[] },
): Promise<Coverage> {
  const { terms, chunks } = opts.lexemes
  if (terms.length === 0) return coverageOf([], chunks)
  const ids = opts.passageIds.length ? [...opts.passageIds] : [0]
  const covered = await sql<{ term: string }[]>`
    SELECT l.term FROM unnest(${terms.map((t) => t.term)}::text[]) AS l(term)
    WHERE EXISTS (
      SELECT 1 FROM kb_chunks c
      WHERE c.id IN ${sql(ids)} AND c.search_tsv @@ ${lexemeQuery(sql, sql`l.term`)}
        AND ${retrievable(sql, opts.tenantId)}
    )`
  const coveredTerms = new Set(covered.map((r) => r.term))
  return coverageOf(
    terms.map((t) => ({ ...t, covered: coveredTerms.has(t.term) })),
    chunks,
  )
}
