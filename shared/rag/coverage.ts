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
 * (shared/drafting/calibration.ts).
 */
import type { Sql } from '../db/sql.ts'

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

/** The rarity weight of a lexeme found in `df` of `n` chunks (smoothed, always positive). */
export function idf(df: number, n: number): number {
  return Math.log((n + 1) / (df + 0.5))
}

// Weights are idf squared: an out-of-KB question usually hinges on one or two terms the KB never mentions
// ("malware", "EPP code") amid words it mentions everywhere ("plan", "domain"), and plain idf lets the
// common words outvote them.
const weight = (df: number, n: number) => idf(df, n) ** 2

/** Coverage from per-lexeme counts; pure, so the arithmetic is unit-testable. */
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

/**
 * Coverage of `query` by the chunks `passageIds` for `tenantId`, in one statement: document frequency of
 * each query lexeme over the tenant's current chunks and whether a passage contains it.
 */
// Each subquery reads kb_chunks itself, so document frequency uses the GIN index on search_tsv and the
// passage check the primary key; a shared CTE of the tenant's chunks was materialised and scanned in full
// per lexeme (55 ms at 10k chunks against 26 ms, bench/drafts.ts).
const retrievable = (sql: Sql, tenantId: number) =>
  sql`(c.tenant_id = ${tenantId} OR c.tenant_id IS NULL) AND c.is_current`

export async function knowledgeCoverage(
  sql: Sql,
  opts: { tenantId: number; query: string; passageIds: readonly number[] },
): Promise<Coverage> {
  const ids = opts.passageIds.length ? [...opts.passageIds] : [0]
  // Lexemes are quoted as tsquery literals (chr(39) = ', chr(92) = \), as in shared/rag/search.ts.
  const rows = await sql<{ term: string; df: number; covered: boolean; chunks: number }[]>`
    WITH l AS (
      SELECT DISTINCT term,
        (chr(39) || replace(replace(term, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39))
          || chr(39))::tsquery AS q
      FROM unnest(tsvector_to_array(to_tsvector('english', ${opts.query}))) AS term
    )
    SELECT l.term,
      (SELECT count(*) FROM kb_chunks c WHERE c.search_tsv @@ l.q AND ${retrievable(sql, opts.tenantId)})::int AS df,
      EXISTS (
        SELECT 1 FROM kb_chunks c
        WHERE c.id IN ${sql(ids)} AND c.search_tsv @@ l.q AND ${retrievable(sql, opts.tenantId)}
      ) AS covered,
      (SELECT count(*) FROM kb_chunks c WHERE ${retrievable(sql, opts.tenantId)})::int AS chunks
    FROM l ORDER BY l.term`
  return coverageOf(rows, rows[0]?.chunks ?? 0)
}
