/**
 * Unmentioned terms: the specific things a customer's question names that none of the best passages
 * mention. "Can I push the nightly backups to my own S3 bucket?" retrieves the backups article, which
 * covers most of the question's words ("nightly", "backups", "automatically") and so passes knowledge
 * coverage (shared/trust/coverage.ts); but it never says "S3", and S3 is what the customer asks about. An
 * agent reading the article would see that at once and not promise anything.
 *
 * A term counts when it is all of:
 * - in a question sentence of the customer's message (one ending in "?" or opening with an interrogative
 *   such as "how", "can", "is"): context sentences name the customer's own setup ("I moved from
 *   HostGator", "my 300MB CSV"), which the answer does not have to mention;
 * - specific: its lexeme is not everyday English (shared/trust/common-english.json, from film and TV
 *   subtitles; see scripts/common-english.ts). "Today", "holiday" and "friend" are everyday; "API",
 *   "wildcard" and "DNSSEC" are not. Numbers and measurements (`8.3`, `12th`, `300MB`), addresses, paths and
 *   the customer's own domain names (`shop.example.com`) are identifiers, not topics, and never count,
 *   nor do units of measurement ("2 GB");
 * - absent from all of the best {@link UNMENTIONED_PASSAGES} passages, as a Postgres English lexeme (the
 *   text the full-text leg of search matches).
 *
 * English only: both the lexemes and the everyday-word list are English. Nothing here reads an evaluation
 * label; `npm run eval` measures what the rule catches and what it costs (README "Evaluation").
 */
import type { Sql } from '../db/sql.ts'
import { sentences } from '../text/fold.ts'
import COMMON_ENGLISH from './common-english.json' with { type: 'json' }
import { lexemeQuery, retrievable } from './coverage.ts'

/** Passages a term must be missing from: the best few by relevance, as an agent would skim them. */
export const UNMENTIONED_PASSAGES = 3

const COMMON = new Set<string>(COMMON_ENGLISH)

// Words that open a question in English, with or without its question mark ("how do i get it back").
const INTERROGATIVE =
  /^(?:how|can|could|is|are|am|do|does|did|where|what|when|which|who|why|will|would|should|may|any)\b/i

/**
 * The sentences of `text` that ask something: ending in "?", or opening with an interrogative word.
 * Sentences end at ".", "!", "?" or "…" followed by whitespace, and at line breaks.
 * @internal
 */
export function questionSentences(text: string): string[] {
  return sentences(text).filter((s) => s.endsWith('?') || INTERROGATIVE.test(s))
}

// Domain names end in a top-level domain; a dotted lexeme that does not ("node.js", "wp-config.php") is a
// product or file name and stays a term. The list is the generic and country domains customers write in
// support tickets, not the whole root zone: a missing one only means a domain name may count as a term.
const DOMAIN =
  /\.(?:com|net|org|info|biz|io|co|app|dev|online|site|shop|store|xyz|me|tv|eu|uk|de|fr|es|it|nl|be|at|ch|pl|ru|ua|us|ca|au|nz|in|br|mx)$/

// Units of measurement after a number ("max 2 GB for that user") are part of the number.
const UNITS = new Set(['kb', 'mb', 'gb', 'tb', 'kib', 'mib', 'gib', 'tib', 'ms', 'ghz', 'mhz', 'px'])

/**
 * Whether a question lexeme (as Postgres english makes it) is specific enough to hinge a question on; pure,
 * so the rules are unit-testable. The lexeme alone tells the token apart: e-mail addresses keep their "@",
 * URLs and paths their "/", host names their dots, and numbers, versions and measurements ("8.3", "12th",
 * "300mb") start with a digit.
 */
export function isSpecificTerm(lexeme: string): boolean {
  if (/[@/]/.test(lexeme) || DOMAIN.test(lexeme)) return false
  if (/^\d/.test(lexeme) || UNITS.has(lexeme)) return false
  return !COMMON.has(lexeme)
}

/**
 * The specific terms of the question sentences in `question` that none of the chunks `passageIds`
 * (those the tenant can retrieve) contain, in one statement; empty when the question asks nothing.
 */
export async function unmentionedTerms(
  sql: Sql,
  opts: { tenantId: number; question: string; passageIds: readonly number[] },
): Promise<string[]> {
  const asked = questionSentences(opts.question).join('\n')
  if (!asked) return []
  const ids = opts.passageIds.length ? [...opts.passageIds] : [0]
  // The question's lexemes as the full-text leg sees them (to_tsvector, as the passages' search_tsv).
  const rows = await sql<{ term: string }[]>`
    SELECT l.term FROM unnest(tsvector_to_array(to_tsvector('english', ${asked}))) AS l(term)
    WHERE NOT EXISTS (
      SELECT 1 FROM kb_chunks c
      WHERE c.id IN ${sql(ids)} AND c.search_tsv @@ ${lexemeQuery(sql, sql`l.term`)}
        AND ${retrievable(sql, opts.tenantId)}
    )
    ORDER BY l.term`
  return rows.map((r) => r.term).filter(isSpecificTerm)
}
