/**
 * Live recalibration (issue 28, item 4): drafts agents decided on feed the same fit as a replay.
 *
 * A decided draft becomes a live sample with the draft's own stored signals (best similarity, coverage,
 * unmentioned terms, raw confidence, reasons) and labels from what the agent did:
 * - usable: approved unedited through the API, or sent as drafted in WHMCS (what "right" means for
 *   confidence, as live analytics counts it); edited, replaced, rejected or "not helpful": not usable;
 * - answerable: the agent used the draft (approved, sent as drafted or edited): yes; the agent replaced it:
 *   the label rules against the reply they sent (shared/trust/labels.ts); rejected without a reply of theirs
 *   to compare: undecided.
 * The `calibration-refit` schedule (state.ts) queues a refit for every tenant with at least `REFIT_AFTER`
 * decisions since its last sampling; the refit samples them and fits with the same adoption rule.
 */
import type { Db, Sql } from '../db/sql.ts'
import type { Deps } from '../deps.ts'
import { fitTenant } from './fitting.ts'
import { labelDraft } from './labelling.ts'
import { DECIDED } from './state.ts'

/** Most decided drafts one refit samples (the oldest first; the next refit takes the rest). */
const SAMPLE_BATCH = 1000

interface Decided {
  id: number
  ticketId: number
  status: (typeof DECIDED)[number]
  /**
   * `updated_at` as Postgres prints it, passed back as text: a JS Date (and postgres.js's timestamptz
   * serialiser) drops the microseconds, and a watermark short of the last decision would count it again.
   */
  decidedAt: string
  edited: boolean | null
  reply: string | null
  draft: string
  question: string | null
  subject: string
  bestSimilarity: number | null
  calibration: { coverage?: number | null; unmentioned?: string[]; space?: unknown } | null
  confidenceRaw: number | null
  escalationReasons: Array<{ code: string }>
  sourceChunkIds: number[]
}

/** Reads decided drafts not sampled yet, oldest decision first. */
async function decidedSince(sql: Db, tenantId: number): Promise<Decided[]> {
  return sql<Decided[]>`
    SELECT a.id, a.ticket_id, a.status, a.updated_at::text AS decided_at, ar.edited,
      coalesce(ar.learning_text, ar.final_reply) AS reply, a.ai_reply AS draft, m.content AS question,
      t.subject, (SELECT max((s->>'relevance')::float8) FROM jsonb_array_elements(a.context_sources) s)
        AS best_similarity,
      a.calibration, a.confidence_raw, a.escalation_reasons,
      ARRAY(SELECT (s->>'chunkId')::int FROM jsonb_array_elements(a.reranked_sources) s) AS source_chunk_ids
    FROM ai_replies a
    JOIN tickets t ON t.id = a.ticket_id AND t.tenant_id = a.tenant_id
    LEFT JOIN approved_replies ar ON ar.ai_reply_id = a.id AND ar.tenant_id = a.tenant_id
    LEFT JOIN messages m ON m.id = a.message_id AND m.tenant_id = a.tenant_id
    WHERE a.tenant_id = ${tenantId} AND a.status IN ${sql(DECIDED)}
      AND a.updated_at > coalesce((SELECT live_sampled_at FROM tenant_calibration_state
                                   WHERE tenant_id = ${tenantId}), 'epoch')
    ORDER BY a.updated_at, a.id LIMIT ${SAMPLE_BATCH}`
}

/** The labels of one decided draft (module comment). */
async function liveLabels(sql: Db, tenantId: number, d: Decided) {
  const usable = (d.status === 'approved' && d.edited === false) || d.status === 'sent_as_drafted'
  if (d.status !== 'replaced' || !d.reply) {
    const used = d.status === 'approved' || d.status === 'sent_as_drafted' || d.status === 'sent_edited'
    return { answerable: used ? true : null, usable, facts: [], gapTerms: [] as string[] }
  }
  const labels = await labelDraft(sql, {
    tenantId,
    question: `${d.subject}\n${d.question ?? ''}`,
    staffReply: d.reply,
    draft: d.draft,
    sourceChunkIds: d.sourceChunkIds,
    noAnswer: d.escalationReasons.some((r) => r.code === 'no_answer'),
  })
  return {
    answerable: labels.answerable,
    usable,
    facts: labels.facts,
    gapTerms: labels.gapFacts.map((f) => f.text),
  }
}

/** Samples the tenant's new decisions; returns how many. */
async function collectLiveSamples(sql: Sql, tenantId: number): Promise<number> {
  const decided = await decidedSince(sql, tenantId)
  if (decided.length === 0) return 0
  const rows: Record<string, unknown>[] = []
  for (const d of decided) {
    const labels = await liveLabels(sql, tenantId, d)
    rows.push({
      tenant_id: tenantId,
      origin: 'live',
      source_key: `draft:${d.id}`,
      ticket_id: d.ticketId,
      ai_reply_id: d.id,
      ticket_ref: `#${d.ticketId}`,
      subject: d.subject.slice(0, 500),
      question: '',
      staff_reply: d.reply ?? '',
      status: 'done',
      labelled_at: new Date(),
      draft: d.draft,
      best_similarity: d.bestSimilarity,
      coverage: d.calibration?.coverage ?? null,
      unmentioned: sql.json((d.calibration?.unmentioned ?? []) as never),
      confidence_raw: d.confidenceRaw,
      escalation_reasons: sql.json(d.escalationReasons as never),
      space: sql.json((d.calibration?.space ?? null) as never),
      answerable: labels.answerable,
      usable: labels.usable,
      facts: sql.json(labels.facts as never),
      gap_terms: sql.json(labels.gapTerms as never),
    })
  }
  const last = decided.at(-1)!.decidedAt
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO calibration_samples ${tx(rows as never)}
      ON CONFLICT (tenant_id, source_key) WHERE run_id IS NULL DO UPDATE SET
        answerable = EXCLUDED.answerable, usable = EXCLUDED.usable, facts = EXCLUDED.facts,
        gap_terms = EXCLUDED.gap_terms, staff_reply = EXCLUDED.staff_reply, labelled_at = now()`
    await tx`
      INSERT INTO tenant_calibration_state (tenant_id, live_sampled_at) VALUES (${tenantId}, ${last}::text::timestamptz)
      ON CONFLICT (tenant_id) DO UPDATE
      SET live_sampled_at = GREATEST(tenant_calibration_state.live_sampled_at, ${last}::text::timestamptz)`
  })
  return decided.length
}

/** The `refit` job: samples the new decisions, then fits and adopts by the same rule as a replay. */
export async function refitLive(deps: Pick<Deps, 'sql'>, tenantId: number): Promise<void> {
  const sampled = await collectLiveSamples(deps.sql, tenantId)
  if (sampled === 0) return
  await deps.sql.begin(async (tx) => {
    await fitTenant(tx, tenantId, { source: 'live', runId: null })
    await tx`UPDATE tenant_calibration_state SET last_live_fit_at = now() WHERE tenant_id = ${tenantId}`
  })
}
