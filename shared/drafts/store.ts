/**
 * The last, writing stage of the draft pipeline (pipeline.ts): storeDraft turns what the earlier stages
 * (context.ts, retrieval.ts, writing.ts, scoring.ts) produced into one transaction — the ai_replies row with its audit record of sources
 * and scores, the assistant message, older pending drafts superseded, the ticket's draft state and
 * escalation, the audit entries and the optional WHMCS escalation note.
 */
import type { AiProvider } from '../ai/provider.ts'
import type { TicketStatus } from '../api/tickets.ts'
import { type AuditEntry, auditMany } from '../audit/record.ts'
import type { Db, Sql } from '../db/sql.ts'
import type { Reranked } from '../knowledge/rerank.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { clip } from '../text/fold.ts'
import { canTransition } from '../tickets/status.ts'
import { supersedePendingDrafts } from '../tickets/supersede.ts'
import { accountSources, accountSummaryOf } from './account-text.ts'
import { queueWhmcsNote } from './escalation-note.ts'
import { hasApprovedReply } from './requests.ts'
import type { Candidate, DraftContext, DraftScores, ModelReply, Ranking, VerifiedReply } from './types.ts'

// Stored with each shown source so agents can check a citation without opening the article.
const EXCERPT_CHARS = 500

const round4 = (x: number | null | undefined) => (x == null ? null : Math.round(x * 10_000) / 10_000)

/** Everything the pipeline learned about one draft, as storeDraft needs it. */
export interface DraftRecord {
  ctx: DraftContext
  ranking: Ranking
  written: ModelReply
  verified: VerifiedReply
  scores: DraftScores
  /** Milliseconds from job start to the end of scoring. */
  latencyMs: number
}

/**
 * What storing a draft came to: its `ai_replies` id, or why nothing was stored — `ticket_missing` (deleted
 * while the model wrote), `duplicate` (a twin of a redelivered job stored first) or `already_approved` (an
 * approval committed while the model was writing).
 */
export type StoreResult =
  | { status: 'stored'; aiReplyId: number }
  | { status: 'skipped'; reason: 'ticket_missing' | 'duplicate' | 'already_approved' }

/** Stage 7, store: writes the draft in one transaction under the ticket's row lock. */
export async function storeDraft(
  sql: Sql,
  ai: AiProvider,
  record: DraftRecord,
  jobs: ClaimedJob[],
): Promise<StoreResult> {
  const { ctx, scores } = record
  const { job, ticket, target } = ctx
  const { escalation } = scores
  const reply = record.verified.reply

  return sql.begin(async (tx): Promise<StoreResult> => {
    const [current] = await tx<{ status: TicketStatus }[]>`
      SELECT status FROM tickets WHERE id = ${ticket.id} AND tenant_id = ${job.tenantId} FOR UPDATE`
    if (!current) return { status: 'skipped', reason: 'ticket_missing' }
    // Approval takes the same ticket lock, so an approval that committed while the model was writing is
    // seen here; the job then stores nothing (and cannot escalate an answered ticket).
    if (await hasApprovedReply(tx, job.tenantId, ticket.id, target?.id ?? null)) {
      return { status: 'skipped', reason: 'already_approved' }
    }
    const [row] = await insertDraft(tx, ai, record)
    // The twin of a redelivered job got here first; its draft stands.
    if (!row) return { status: 'skipped', reason: 'duplicate' }
    const escalateNow =
      escalation.escalate && current.status !== 'escalated' && canTransition(current.status, 'escalated')
    // The writes that follow the draft row do not depend on one another: issued together, postgres.js
    // pipelines them on the transaction's connection (they still run in this order), so they cost one
    // round trip instead of four or five. A failure of any rejects the transaction as a whole.
    await Promise.all([
      tx`
        INSERT INTO messages (tenant_id, ticket_id, role, content, metadata_json)
        VALUES (${job.tenantId}, ${ticket.id}, 'assistant', ${reply},
                ${tx.json({ aiReplyId: row.id, provider: ai.name, model: record.written.result.model })})`.execute(),
      supersedePendingDrafts(tx, job.tenantId, ticket.id, { except: row.id }),
      tx`
        UPDATE tickets SET draft_state = 'ready', draft_error = NULL, updated_at = now()
          ${escalateNow ? tx`, status = 'escalated'` : tx``}
        WHERE id = ${ticket.id} AND tenant_id = ${job.tenantId}`.execute(),
      auditMany(tx, draftAudits(ai, record, row.id, { previousStatus: current.status, escalateNow })),
      // Staff working in WHMCS see why (when the tenant turned escalation notes on).
      escalation.escalate ? queueWhmcsNote(tx, jobs, job.tenantId, row.id) : null,
    ])
    return { status: 'stored', aiReplyId: row.id }
  })
}

/** The `ai_replies` row of a draft; no row when a twin of this job stored its draft first. */
function insertDraft(tx: Db, ai: AiProvider, record: DraftRecord) {
  const { ctx, ranking, written, verified, scores } = record
  const { job, ticket, target, promptVersion, language } = ctx
  const { result } = written
  const { escalation, confidence, calibratedConfidence } = scores
  const contextSources = ranking.candidates.map((c) => ({
    chunkId: c.hit.chunkId,
    articleId: c.hit.articleId,
    approvedReplyId: c.hit.approvedReplyId,
    title: c.hit.title,
    sourceKind: c.sourceKind,
    relevance: round4(c.score),
    vectorScore: round4(c.hit.vectorScore),
    textScore: round4(c.hit.textScore),
    fusedScore: round4(c.hit.fusedScore),
    crossEncoderScore: round4(c.crossEncoderScore),
  }))
  // What `[n]` points at: the shown knowledge sources, then the account facts the model was given.
  const { account } = ranking
  const rerankedSources = [
    ...ranking.shown.map((s) => storedSource(s, verified.cited.has(s.rank))),
    ...(account ? accountSources(account.facts, verified.cited) : []),
  ]
  const accountFacts = account ? accountSummaryOf(account.context, account.facts, verified.cited) : null
  return tx<{ id: number }[]>`
    INSERT INTO ai_replies (tenant_id, ticket_id, message_id, request_id, prompt_version_id, ai_reply,
      confidence_score, confidence_breakdown, context_sources, reranked_sources, intent_detected,
      tokens_used, latency_ms, provider, model, escalated, escalation_reasons, trigger, confidence_raw,
      calibration, language, account_facts)
    VALUES (${job.tenantId}, ${ticket.id}, ${target?.id ?? null}, ${job.jobId}, ${promptVersion.id},
      ${verified.reply}, ${calibratedConfidence}, ${tx.json(confidence.breakdown as never)},
      ${tx.json(contextSources as never)}, ${tx.json(rerankedSources as never)}, ${scores.intent},
      ${result.promptTokens + result.completionTokens}, ${record.latencyMs}, ${ai.name}, ${result.model},
      ${escalation.escalate}, ${tx.json(escalation.reasons as never)}, ${job.trigger}, ${confidence.score},
      ${tx.json(ranking.applied.record as never)}, ${language},
      ${accountFacts ? tx.json(accountFacts as never) : null})
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING id`
}

/** The audit entries of a stored draft: generated (or regenerated), and escalated when it was. */
function draftAudits(
  ai: AiProvider,
  record: DraftRecord,
  aiReplyId: number,
  ticketChange: { previousStatus: TicketStatus; escalateNow: boolean },
): AuditEntry[] {
  const { ctx, ranking, verified, scores } = record
  const { job, ticket } = ctx
  const { escalation } = scores
  const audits: AuditEntry[] = [
    {
      tenantId: job.tenantId,
      userId: job.userId,
      action: job.trigger === 'regenerate' ? 'draft_regenerated' : 'draft_generated',
      entityType: 'ai_reply',
      entityId: aiReplyId,
      ticketId: ticket.id,
      aiReplyId,
      details: {
        jobId: job.jobId,
        provider: ai.name,
        model: record.written.result.model,
        promptVersionId: ctx.promptVersion.id,
        confidence: scores.calibratedConfidence,
        confidenceRaw: scores.confidence.score,
        calibration: ranking.applied.calibration.id,
        language: ctx.language,
        escalated: escalation.escalate,
        sourcesShown: ranking.shown.length,
        sourcesCited: verified.citedSources.length,
        unknownCitations: verified.citations.unknown,
        crossEncoder: ranking.crossEncoder,
        bestRetrievalScore: round4(scores.bestRetrievalScore),
        accountFacts: ranking.account?.context.state ?? null,
        accountFactsCited: verified.citedFacts.length,
      },
    },
  ]
  if (escalation.escalate) {
    audits.push({
      tenantId: job.tenantId,
      action: 'ticket_escalated',
      entityType: 'ticket',
      entityId: ticket.id,
      ticketId: ticket.id,
      aiReplyId,
      details: {
        reasons: escalation.reasons,
        previousStatus: ticketChange.previousStatus,
        // A resolved ticket cannot move to escalated; the draft still carries the flag and reasons.
        statusChanged: ticketChange.escalateNow,
      },
    })
  }
  return audits
}

/** A shown source as stored in `reranked_sources` and returned as a draft's `sources`: KB data only. */
export function storedSource(s: Reranked<Candidate>, cited: boolean) {
  return {
    ref: s.rank,
    chunkId: s.hit.chunkId,
    articleId: s.hit.articleId,
    approvedReplyId: s.hit.approvedReplyId,
    title: s.hit.title,
    sourceKind: s.sourceKind,
    score: round4(s.rerankScore),
    relevance: round4(s.score),
    fusedScore: round4(s.hit.fusedScore),
    sourceWeight: round4(s.sourceWeight),
    cited,
    belowThreshold: s.belowThreshold,
    excerpt: clip(s.hit.text.trim(), EXCERPT_CHARS),
  }
}
