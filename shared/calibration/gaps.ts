/**
 * Knowledge gaps (issue 28, item 6): the questions the KB could not answer, grouped into topics.
 *
 * Where they come from:
 * - replay: tickets whose staff reply gave facts no passage of the KB holds (`gap_terms` of a sample the
 *   label rules found unanswerable, shared/calibration/labelling.ts);
 * - live: drafts escalated for low retrieval or no answer in the last {@link LIVE_DAYS} days (their terms:
 *   the unmentioned terms the draft recorded, else the question's specific words no chunk of the KB holds),
 *   and drafts the agents replaced (their reply's facts the KB lacks).
 * How they are grouped (explainable, no model): every item has a few terms; each item joins the topic of
 * its term that most items share (ties: alphabetical), so "DNSSEC" questions end up together whatever else
 * they mention. A topic lists the terms at least two of its items share, its count and a few examples with
 * what the agent replied (the reply's core, personal data masked, sentences copied from the customer left
 * out). The suggestion (`POST /knowledge-gaps/{id}/suggestion`) is written from those replies only.
 */
import type { Db, Sql } from '../db/sql.ts'
import { found } from '../errors.ts'
import { staffOnlyText } from '../knowledge/learning-text.ts'
import { clip, sentences } from '../text/fold.ts'
import { maskPii } from '../text/pii.ts'
import { stem, words } from '../text/words.ts'
import { lexemeQuery, retrievable } from '../trust/coverage.ts'
import { isSpecificTerm } from '../trust/unmentioned.ts'

/** Live escalations older than this are not gaps any more (the KB may have changed). */
const LIVE_DAYS = 90
const MAX_LIVE = 300
const EXAMPLES = 3
const REPLY_CHARS = 600

interface GapItem {
  origin: 'replay' | 'live'
  ticketId: number | null
  ticketRef: string | null
  subject: string
  question: string
  reply: string | null
  terms: string[]
}

/** A term's grouping key: the last segment of a path, its words stemmed. */
const keyOf = (term: string) =>
  words(term.split(' → ').at(-1) ?? term)
    .map(stem)
    .join(' ')

async function replayItems(tx: Db, tenantId: number, runId: number | null): Promise<GapItem[]> {
  const rows = await tx<
    Array<{
      origin: 'replay' | 'live'
      ticketId: number | null
      ticketRef: string | null
      subject: string
      question: string
      staffReply: string
      gapTerms: string[]
    }>
  >`
    SELECT origin, ticket_id, ticket_ref, subject, question, staff_reply, gap_terms FROM calibration_samples
    WHERE tenant_id = ${tenantId} AND status = 'done' AND answerable IS NOT TRUE
      AND jsonb_array_length(gap_terms) > 0
      AND (run_id = ${runId ?? 0}
           OR (origin = 'live' AND created_at > now() - make_interval(days => ${LIVE_DAYS})))
    ORDER BY id DESC LIMIT 1000`
  return rows.map((r) => ({ ...r, reply: r.staffReply || null, terms: r.gapTerms }))
}

/** Drafts escalated for low retrieval or no answer, with the words of their question the KB lacks. */
async function liveItems(tx: Db, tenantId: number): Promise<GapItem[]> {
  const rows = await tx<
    Array<{
      ticketId: number
      subject: string
      question: string
      unmentioned: string[] | null
      missing: string[]
    }>
  >`
    WITH d AS (
      SELECT DISTINCT ON (a.ticket_id) a.ticket_id, t.subject, coalesce(m.content, t.content) AS question,
        (SELECT array_agg(x) FROM jsonb_array_elements_text(a.calibration->'unmentioned') x) AS unmentioned
      FROM ai_replies a
      JOIN tickets t ON t.id = a.ticket_id AND t.tenant_id = a.tenant_id
      LEFT JOIN messages m ON m.id = a.message_id AND m.tenant_id = a.tenant_id
      WHERE a.tenant_id = ${tenantId} AND a.created_at > now() - make_interval(days => ${LIVE_DAYS})
        AND a.status <> 'replaced'
        AND (a.escalation_reasons @> '[{"code": "low_retrieval"}]'
             OR a.escalation_reasons @> '[{"code": "no_answer"}]')
      ORDER BY a.ticket_id DESC, a.id DESC LIMIT ${MAX_LIVE})
    SELECT d.ticket_id, d.subject, d.question, d.unmentioned,
      ARRAY(SELECT l.term FROM unnest(tsvector_to_array(to_tsvector('english', d.subject || ' ' || d.question))) l(term)
            WHERE NOT EXISTS (SELECT 1 FROM kb_chunks c
                              WHERE ${retrievable(tx, tenantId)} AND c.search_tsv @@ ${lexemeQuery(tx, tx`l.term`)})) AS missing
    FROM d`
  return rows
    .map((r) => ({
      origin: 'live' as const,
      ticketId: r.ticketId,
      ticketRef: `#${r.ticketId}`,
      subject: r.subject,
      question: r.question,
      reply: null,
      terms: r.unmentioned?.length
        ? r.unmentioned
        : r.missing.filter((t) => /^\p{L}/u.test(t) && isSpecificTerm(t)),
    }))
    .filter((i) => i.terms.length > 0)
}

/** Groups items into topics (module comment). Pure. */
function groupTopics<T extends { terms: readonly string[] }>(items: readonly T[]) {
  const frequency = new Map<string, number>()
  const spelling = new Map<string, Map<string, number>>()
  for (const item of items) {
    for (const key of new Set(item.terms.map(keyOf).filter(Boolean)))
      frequency.set(key, (frequency.get(key) ?? 0) + 1)
    for (const term of item.terms) {
      const spelt = spelling.get(keyOf(term)) ?? new Map<string, number>()
      const shown = term.split(' → ').at(-1) ?? term
      spelt.set(shown, (spelt.get(shown) ?? 0) + 1)
      spelling.set(keyOf(term), spelt)
    }
  }
  const topics = new Map<string, T[]>()
  for (const item of items) {
    const keys = [...new Set(item.terms.map(keyOf).filter(Boolean))]
    if (keys.length === 0) continue
    keys.sort((a, b) => (frequency.get(b) ?? 0) - (frequency.get(a) ?? 0) || a.localeCompare(b))
    topics.set(keys[0]!, [...(topics.get(keys[0]!) ?? []), item])
  }
  const display = (key: string) =>
    [...(spelling.get(key) ?? new Map([[key, 1]])).entries()].sort((a, b) => b[1] - a[1])[0]![0]
  return [...topics.entries()].map(([key, members]) => {
    const shared = new Map<string, number>()
    for (const m of members)
      for (const k of new Set(m.terms.map(keyOf))) shared.set(k, (shared.get(k) ?? 0) + 1)
    const terms = [key, ...[...shared.entries()].filter(([k, n]) => k !== key && n >= 2).map(([k]) => k)]
    return { key, title: display(key), terms: terms.map(display), members }
  })
}

/** What an example shows of the agent's reply: its own sentences, personal data masked, cut short. */
function shownReply(item: GapItem): string | null {
  if (!item.reply) return null
  const own = staffOnlyText(item.reply, [item.subject, item.question]).text
  return own ? clip(maskPii(own, { maskIps: true }).masked, REPLY_CHARS) : null
}

/** Rebuilds the tenant's knowledge gaps in the caller's transaction (after a fit; the refit schedule). */
export async function refreshGaps(tx: Db, tenantId: number, replayRun: number | null): Promise<void> {
  const items = [...(await replayItems(tx, tenantId, replayRun)), ...(await liveItems(tx, tenantId))]
  const topics = groupTopics(items)
  await tx`DELETE FROM knowledge_gaps WHERE tenant_id = ${tenantId} AND NOT (topic_key = ANY(${topics.map((t) => t.key)}::text[]))`
  for (const t of topics) {
    const examples = t.members
      .slice()
      .sort((a, b) => Number(Boolean(b.reply)) - Number(Boolean(a.reply)))
      .slice(0, EXAMPLES)
      .map((m) => ({
        origin: m.origin,
        ticketId: m.ticketId,
        ticketRef: m.ticketRef,
        subject: clip(maskPii(m.subject, { maskIps: true }).masked, 200),
        reply: shownReply(m),
      }))
    await tx`
      INSERT INTO knowledge_gaps (tenant_id, topic_key, terms, count, replay_count, live_count, examples, refreshed_at)
      VALUES (${tenantId}, ${clip(t.key, 200)}, ${tx.json(t.terms as never)}, ${t.members.length},
        ${t.members.filter((m) => m.origin === 'replay').length}, ${t.members.filter((m) => m.origin === 'live').length},
        ${tx.json(examples as never)}, now())
      ON CONFLICT (tenant_id, topic_key) DO UPDATE SET terms = EXCLUDED.terms, count = EXCLUDED.count,
        replay_count = EXCLUDED.replay_count, live_count = EXCLUDED.live_count, examples = EXCLUDED.examples,
        refreshed_at = now()`
  }
}

interface GapRow {
  id: number
  terms: string[]
  count: number
  replayCount: number
  liveCount: number
  examples: Array<{
    origin: 'replay' | 'live'
    ticketId: number | null
    ticketRef: string | null
    subject: string
    reply: string | null
  }>
  refreshedAt: Date
}

const title = (terms: readonly string[]) => `Questions about ${terms[0] ?? 'an unknown topic'}`

/** `GET /knowledge-gaps`: the tenant's topics, most asked first. */
export async function listGaps(sql: Sql, tenantId: number) {
  const rows = await sql<GapRow[]>`
    SELECT id, terms, count, replay_count, live_count, examples, refreshed_at FROM knowledge_gaps
    WHERE tenant_id = ${tenantId} AND count > 0 ORDER BY count DESC, id`
  return { items: rows.map((r) => ({ ...r, title: title(r.terms) })) }
}

/**
 * `POST /knowledge-gaps/{id}/suggestion`: an article to review, from the agents' replies only: its title is
 * the topic, its body the replies' own sentences (masked, customer text left out), each said once.
 */
export async function gapSuggestion(sql: Sql, tenantId: number, gapId: number) {
  const gap = found(
    await sql<GapRow[]>`
      SELECT id, terms, count, replay_count, live_count, examples, refreshed_at FROM knowledge_gaps
      WHERE id = ${gapId} AND tenant_id = ${tenantId}`,
    'knowledge gap',
  )
  const replies = gap.examples.map((e) => e.reply).filter((r): r is string => Boolean(r))
  const seen = new Set<string>()
  const paragraphs = replies
    .map((r) =>
      sentences(r)
        .filter((s) => !seen.has(s.toLowerCase()) && seen.add(s.toLowerCase()))
        .join(' '),
    )
    .filter(Boolean)
  const topic = gap.terms[0] ?? 'this topic'
  const body = paragraphs.length
    ? paragraphs.join('\n\n')
    : `No agent reply to learn from yet: write what your team answers about ${topic}.`
  return {
    gapId: gap.id,
    title: topic.charAt(0).toUpperCase() + topic.slice(1),
    content: `# ${topic.charAt(0).toUpperCase() + topic.slice(1)}\n\n${body}\n`,
    category: 'faq' as const,
    tags: gap.terms.slice(0, 5),
    basedOn: replies.length,
  }
}
