/**
 * Labels a shadow (or reviewed live) draft against the reply an agent sent: the database half of the label
 * rules in shared/trust/labels.ts. It reads, in a few statements, what the pure rules need: the reply's and
 * the draft's Postgres lexemes, which name candidates the tenant's KB spells, the shown sources' texts and
 * lexemes; and, for knowledge gaps, which of the facts the sources lacked the whole KB lacks too (the
 * ticket's own learnt replies excluded, as in its replay).
 */
import type { Db } from '../db/sql.ts'
import { compareSentReply, plainReply, replyCore } from '../review/sent-reply.ts'
import { withoutReferences } from '../text/citations.ts'
import { detectLanguage } from '../text/language.ts'
import { lexemeQuery, retrievable } from '../trust/coverage.ts'
import {
  type CheckedFact,
  extractFacts,
  GENERIC_SHARE,
  labelSample,
  matchText,
  nameCandidates,
} from '../trust/labels.ts'

/** What a draft is labelled from. */
export interface LabelInput {
  tenantId: number
  question: string
  staffReply: string
  draft: string
  /** Chunk ids of the sources the draft was shown. */
  sourceChunkIds: readonly number[]
  noAnswer: boolean
  /** The ticket whose own learnt replies do not count as KB (a replay's exclusion). */
  excludeLearningOfTicket?: number | null
}

/** A draft's labels, its staff reply's facts, and the facts the whole KB lacks. */
export interface SampleLabels {
  answerable: boolean | null
  usable: boolean | null
  facts: CheckedFact[]
  /** Facts (not numbers) the sources lacked and no chunk of the KB holds: what a new article should say. */
  gapFacts: CheckedFact[]
  /** The staff reply's core (what the labels read). */
  core: string
}

// Below this many chunks a share of the KB says nothing about how common a word is.
const MIN_CHUNKS_FOR_GENERIC = 20

/**
 * The reply's core without a closing the sign-off rules of the sent-reply comparison do not know ("Have a
 * good trip,\nMarta"): a short line ending in a comma or "!" followed by a name of at most three words.
 */
function withoutClosing(core: string): string {
  const lines = core.split('\n')
  const last = lines.at(-1)?.trim() ?? ''
  const before = lines.at(-2)?.trim() ?? ''
  const isName = /^[\p{L}][\p{L} .'()-]{0,40}$/u.test(last) && last.split(/\s+/).length <= 3
  if (lines.length > 2 && isName && /[,!]$/.test(before) && before.split(/\s+/).length <= 6) {
    return lines.slice(0, -2).join('\n').trim()
  }
  return core
}

/** Labels one draft; see the module comment. */
export async function labelDraft(sql: Db, input: LabelInput): Promise<SampleLabels> {
  const plain = plainReply(input.staffReply)
  const core = withoutClosing(replyCore(withoutReferences(plain)) || plain)
  const english = detectLanguage(core).language === 'en'
  const candidates = nameCandidates(core)
  const ids = input.sourceChunkIds.length > 0 ? [...input.sourceChunkIds] : [0]
  const [replyLexemes, questionLexemes, draftLexemes, names, sources] = await Promise.all([
    lexemesWithDf(sql, input.tenantId, core),
    lexemesOf(sql, input.question),
    lexemesOf(sql, input.draft),
    namesInKb(sql, input.tenantId, candidates),
    // A source is the article a shown passage belongs to (all of it), or the passage itself (a learnt reply).
    sql<{ chunk: string; lexemes: string[] }[]>`
      SELECT chunk, tsvector_to_array(search_tsv) AS lexemes FROM kb_chunks c
      WHERE ${retrievable(sql, input.tenantId)}
        AND (c.id IN ${sql(ids)} OR c.article_id IN (
          SELECT article_id FROM kb_chunks WHERE id IN ${sql(ids)} AND article_id IS NOT NULL))`,
  ])
  const chunks = replyLexemes.chunks
  const isGeneric = (df: number) => chunks >= MIN_CHUNKS_FOR_GENERIC && df > GENERIC_SHARE * chunks
  const facts = extractFacts(core, {
    question: input.question,
    english,
    replyLexemes: replyLexemes.terms.map((t) => t.term),
    questionLexemes,
    kbSpells: new Set(names.filter((n) => n.df > 0).map((n) => n.name)),
    nameLexemes: new Map(names.map((n) => [n.name, n.lexemes])),
    generic: new Set([
      ...names.filter((n) => isGeneric(n.df)).map((n) => n.name),
      ...replyLexemes.terms.filter((t) => isGeneric(t.df)).map((t) => t.term),
    ]),
  })
  const labels = labelSample({
    facts,
    sources: matchText(
      sources.map((s) => s.chunk).join('\n'),
      sources.flatMap((s) => s.lexemes),
    ),
    draft: matchText(input.draft, draftLexemes),
    sentOutcome: compareSentReply(withoutReferences(input.draft), withoutReferences(core)).outcome,
    noAnswer: input.noAnswer,
  })
  const missing = labels.facts.filter((f) => !f.inSources && f.kind !== 'number' && f.kind !== 'address')
  const inKb = await factsInKb(sql, input.tenantId, missing, input.excludeLearningOfTicket ?? null)
  return { ...labels, gapFacts: missing.filter((f) => !inKb.has(f.key)), core }
}

/** The lexemes of `text` with the number of the tenant's retrievable chunks holding each. */
async function lexemesWithDf(sql: Db, tenantId: number, text: string) {
  const rows = await sql<{ term: string; df: number; chunks: number }[]>`
    WITH l AS (SELECT DISTINCT term FROM unnest(tsvector_to_array(to_tsvector('english', ${text}))) AS term)
    SELECT l.term,
      (SELECT count(*) FROM kb_chunks c
        WHERE c.search_tsv @@ ${lexemeQuery(sql, sql`l.term`)} AND ${retrievable(sql, tenantId)})::int AS df,
      (SELECT count(*) FROM kb_chunks c WHERE ${retrievable(sql, tenantId)})::int AS chunks
    FROM l ORDER BY l.term`
  return { terms: rows.map(({ term, df }) => ({ term, df })), chunks: rows[0]?.chunks ?? 0 }
}

async function lexemesOf(sql: Db, text: string): Promise<string[]> {
  if (!text.trim()) return []
  const [row] = await sql<{ lexemes: string[] }[]>`
    SELECT tsvector_to_array(to_tsvector('english', ${text})) AS lexemes`
  return row?.lexemes ?? []
}

/** Each name candidate's lexemes, and how many chunks the tenant can retrieve spell it (as a phrase). */
async function namesInKb(
  sql: Db,
  tenantId: number,
  names: readonly string[],
): Promise<Array<{ name: string; lexemes: string[]; df: number }>> {
  if (names.length === 0) return []
  return sql<Array<{ name: string; lexemes: string[]; df: number }>>`
    SELECT n.name, tsvector_to_array(to_tsvector('english', n.name)) AS lexemes,
      CASE WHEN numnode(phraseto_tsquery('english', n.name)) = 0 THEN 0 ELSE (
        SELECT count(*) FROM kb_chunks c
        WHERE c.search_tsv @@ phraseto_tsquery('english', n.name) AND ${retrievable(sql, tenantId)}
      ) END::int AS df
    FROM unnest(${[...names]}::text[]) AS n(name)`
}

/**
 * The keys of `facts` some chunk of the tenant's KB holds, its learnt replies included except those of
 * `excludeTicket`. Terms are matched as lexemes, names and paths as phrases (a path by its last segment).
 */
async function factsInKb(
  sql: Db,
  tenantId: number,
  facts: readonly CheckedFact[],
  excludeTicket: number | null,
): Promise<Set<string>> {
  if (facts.length === 0) return new Set()
  const rows = facts.map((f) => ({
    key: f.key,
    term: f.kind === 'term' ? f.key : null,
    phrase: f.kind === 'path' ? (f.text.split(' → ').at(-1) ?? f.text) : f.kind === 'name' ? f.text : null,
  }))
  const found = await sql<{ key: string }[]>`
    SELECT f.key FROM jsonb_to_recordset(${sql.json(rows as never)}) AS f(key text, term text, phrase text)
    WHERE EXISTS (
      SELECT 1 FROM kb_chunks c
      WHERE ${retrievable(sql, tenantId)}
        AND CASE WHEN f.term IS NOT NULL THEN c.search_tsv @@ ${lexemeQuery(sql, sql`f.term`)}
                 ELSE numnode(phraseto_tsquery('english', f.phrase)) > 0
                      AND c.search_tsv @@ phraseto_tsquery('english', f.phrase) END
        ${
          excludeTicket === null
            ? sql``
            : sql`AND (c.approved_reply_id IS NULL OR c.approved_reply_id NOT IN (
                SELECT id FROM approved_replies WHERE tenant_id = ${tenantId} AND ticket_id = ${excludeTicket}))`
        })`
  return new Set(found.map((r) => r.key))
}
