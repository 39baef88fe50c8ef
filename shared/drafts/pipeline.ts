/**
 * The draft pipeline (docs/ARCHITECTURE.md): one customer message in, one grounded, cited, scored draft out.
 * generateDraft below runs the stages in order, each a named function:
 *
 *   1. load                  loadDraftContext    (context.ts)
 *   2. retrieve              retrieveCandidates  (retrieval.ts)
 *   3. rerank                rerankCandidates    (retrieval.ts)
 *      account facts         lookupAccount       (account-stage.ts; from stage 1 on, beside retrieval)
 *   4. prompt and model      writeReply          (writing.ts)
 *   5. verify citations      verifyCitations     (writing.ts)
 *   6. score and decide      scoreDraft          (scoring.ts)
 *   7. store                 storeDraft          (store.ts)
 *
 * In detail:
 *   load ticket + thread → query (subject + latest customer message, + earlier thread when there is one)
 *   → mask PII → hybrid retrieval (top_k_initial) → optional TEI cross-encoder → source-weighted rerank
 *   (top_k_rerank, score threshold) → prompt from the active prompt version → LLM → citations checked
 *   against the shown sources → customer placeholders restored → escalation (code) → confidence
 *   → one transaction: ai_replies + assistant message + older drafts superseded + ticket state + audit.
 *
 * The model is called before the transaction opens: a transaction never waits on the network, and the
 * local database has a single connection that every other request needs.
 *
 * Scores used, and why:
 * - relevance of a retrieved passage = the cross-encoder score when RERANKER_URL is set, else the cosine
 *   similarity of its embedding to the query (the vector score). Both are absolute (0..1) judgements of
 *   "does this passage answer this question". The fused RRF score is not: it is rank-based, so the top
 *   hit scores about 1 even when the knowledge base has nothing on the topic. RRF still decides which
 *   passages are candidates (the order hybrid search returns); relevance decides what is shown.
 * - best retrieval score (escalation) = the highest relevance among all retrieved candidates, before
 *   source weights: weights say which kind of source a tenant prefers, not whether the knowledge base
 *   covers the question, so they must not push a ticket over or under the escalation threshold.
 *   Threshold: the tenant's escalation rule `threshold` if set, else the tenant's own reranking config's
 *   `score_threshold`, else the calibrated default of the scoring space (shared/trust/calibration.ts).
 * - confidence = the raw points of shared/trust/confidence.ts mapped through the space's fitted
 *   calibration to a probability of being right; the raw points are stored too (`confidence_raw`).
 * - retrieval strength (confidence) = the source-weighted rerank scores of the passages shown to the
 *   model (see shared/trust/confidence.ts for the whole formula).
 */
import { logger } from '../logger.ts'
import type { DraftJob } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { type AccountInput, lookupAccount, showAccount, utcDay } from './account-stage.ts'
import { loadDraftContext } from './context.ts'
import { skipAnswered } from './requests.ts'
import { rerankCandidates, retrieveCandidates } from './retrieval.ts'
import { scoreDraft } from './scoring.ts'
import { storeDraft } from './store.ts'
import type { DraftContext, DraftDeps, DraftOutcome } from './types.ts'
import { verifyCitations, writeReply } from './writing.ts'

/**
 * Generates and stores the draft for one `draft` job. Idempotent on `job.jobId` (stored as
 * `ai_replies.request_id`): a redelivered job, even one running concurrently with its twin, leaves one
 * draft. Skips tickets that are gone or closed. Throws on any failure, for the queue to retry. The job it
 * may queue (a WHMCS note for an escalated draft) goes into `jobs`, for the worker to publish after commit.
 */
export async function generateDraft(
  deps: DraftDeps,
  job: DraftJob,
  jobs: ClaimedJob[],
): Promise<DraftOutcome> {
  const { sql, ai } = deps
  const started = performance.now()
  const lap = lapTimer()

  const ctx = await loadDraftContext(sql, job)
  if ('status' in ctx) return ctx
  const loadMs = lap()
  // WHMCS is asked while retrieval runs: a cached account costs nothing, a slow WHMCS only its time budget.
  const today = utcDay()
  const account = lookupAccount(deps, accountInput(ctx, today))
  const retrieved = await retrieveCandidates(sql, ai, ctx)
  const retrievalMs = lap()
  const ranking = await rerankCandidates(deps, ctx, retrieved)
  const rerankMs = lap()
  ranking.account = showAccount(await account, ranking.shown.length, today)
  const accountWaitMs = lap()
  const written = await writeReply(ai, ctx, ranking)
  const modelMs = lap()
  const verified = verifyCitations(ctx, ranking, written)
  const scores = scoreDraft(ctx, ranking, verified)
  const scoringMs = lap()
  const latencyMs = Math.round(performance.now() - started)

  const stored = await storeDraft(sql, ai, { ctx, ranking, written, verified, scores, latencyMs }, jobs)
  const storeMs = lap()
  if (stored.status === 'skipped') {
    return stored.reason === 'already_approved' ? skipAnswered(sql, job.tenantId, ctx.ticket.id) : stored
  }

  const timings = {
    loadMs,
    retrievalMs,
    rerankMs,
    accountWaitMs,
    modelMs,
    scoringMs,
    storeMs,
    totalMs: Math.round((performance.now() - started) * 10) / 10,
  }
  logger.debug('draft stored', {
    tenantId: job.tenantId,
    ticketId: ctx.ticket.id,
    aiReplyId: stored.aiReplyId,
    ...timings,
  })
  return {
    status: 'created',
    aiReplyId: stored.aiReplyId,
    escalated: scores.escalation.escalate,
    escalationReasons: scores.escalation.reasons.map((r) => r.category ?? r.code),
    confidence: scores.calibratedConfidence,
    timings,
  }
}

/** What the account step reads from a stored ticket: its WHMCS client, related service and customer text. */
function accountInput(ctx: DraftContext, today: string): AccountInput {
  return {
    tenantId: ctx.tenantId,
    settings: ctx.ticket.settings,
    clientId: ctx.ticket.whmcsUserId,
    attached: ctx.ticket.whmcsService,
    texts: [ctx.ticket.subject, ...ctx.customerTexts],
    today,
  }
}

/** Milliseconds since the previous call (or since creation), to 0.1 ms. */
function lapTimer(): () => number {
  let last = performance.now()
  return () => {
    const now = performance.now()
    const ms = Math.round((now - last) * 10) / 10
    last = now
    return ms
  }
}
