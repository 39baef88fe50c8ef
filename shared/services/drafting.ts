/**
 * The draft pipeline (docs/ARCHITECTURE.md): one customer message in, one grounded, cited, scored draft out.
 *
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
 *   `score_threshold`, else the calibrated default of the scoring space (shared/drafting/calibration.ts).
 * - confidence = the raw points of shared/drafting/confidence.ts mapped through the space's fitted
 *   calibration to a probability of being right; the raw points are stored too (`confidence_raw`).
 * - retrieval strength (confidence) = the source-weighted rerank scores of the passages shown to the
 *   model (see shared/drafting/confidence.ts for the whole formula).
 */
import * as z from 'zod'
import type { AiProvider } from '../ai/provider.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import { applyCalibration, calibrateConfidence } from '../drafting/calibration.ts'
import { extractCitations } from '../drafting/citations.ts'
import { scoreConfidence } from '../drafting/confidence.ts'
import {
  evaluateEscalation,
  type TenantEscalationRules,
  tenantEscalationRulesSchema,
} from '../drafting/escalation.ts'
import { detectIntent } from '../drafting/intent.ts'
import { detectLanguage } from '../drafting/language.ts'
import { maskPii, unmaskPii } from '../drafting/pii.ts'
import { buildDraftPrompt, type PromptSource } from '../drafting/prompt.ts'
import {
  applyCrossEncoderScores,
  type Reranked,
  type RerankSourceKind,
  rerankBySource,
  type SourceWeights,
  teiRerank,
} from '../drafting/rerank.ts'
import { canTransition, type Priority, type TicketStatus } from '../drafting/status.ts'
import { logger } from '../logger.ts'
import { hybridSearch, type SearchHit } from '../rag/search.ts'
import { audit } from './audit.ts'
import { hasApprovedReply, skipAnswered } from './draft-requests.ts'
import { loadActivePrompt } from './prompts.ts'
import { loadRerankingConfig } from './reranking.ts'
import { queueWhmcsNote } from './whmcs-send.ts'

// Re-exported: callers and tests know the classifier as part of the draft pipeline.
export { detectIntent }

/** The `draft` queue's message, as `queueDraft` enqueues it. */
export const draftJobSchema = z.object({
  jobId: z.string().uuid(),
  tenantId: z.number().int().positive(),
  ticketId: z.number().int().positive(),
  /** The customer message to answer; null answers the latest one. */
  messageId: z.number().int().positive().nullable().default(null),
  trigger: z.enum(['auto', 'regenerate']).default('auto'),
  /** Who asked for a regeneration; null for automatic drafts. */
  userId: z.number().int().positive().nullable().default(null),
})

export type DraftJob = z.output<typeof draftJobSchema>

/** What the pipeline needs from Deps; `fetch` is injectable for the cross-encoder call. */
export interface DraftDeps {
  sql: Sql
  ai: AiProvider
  config: Pick<Config, 'RERANKER_URL'>
  fetch?: typeof globalThis.fetch
}

/** Where the time of one draft went, in milliseconds. */
export interface DraftTimings {
  loadMs: number
  retrievalMs: number
  rerankMs: number
  modelMs: number
  scoringMs: number
  storeMs: number
  totalMs: number
}

export type DraftOutcome =
  | {
      status: 'created'
      aiReplyId: number
      escalated: boolean
      /** Keyword category or reason code of each escalation reason (for metrics). */
      escalationReasons: string[]
      confidence: number
      timings: DraftTimings
    }
  | { status: 'skipped'; reason: 'duplicate' | 'ticket_missing' | 'ticket_closed' | 'already_approved' }

interface TicketRow {
  id: number
  subject: string
  content: string
  status: TicketStatus
  priority: Priority
  department: string | null
  settings: Record<string, unknown>
}

interface ThreadMessage {
  id: number
  role: 'user' | 'agent'
  content: string
}

/** A retrieved passage on its way through reranking. */
interface Candidate {
  id: number
  sourceKind: RerankSourceKind
  /** Relevance (see the module comment); rerankBySource weights it by source kind. */
  score: number
  crossEncoderScore: number | null
  hit: SearchHit
}

// Earlier messages shown to the model: the first (it states the problem) and the latest few, each cut
// short. Enough for "it still does not work" to make sense, small enough not to crowd out the sources.
const SUMMARY_RECENT = 4
const SUMMARY_CHARS_PER_MESSAGE = 300
const SUMMARY_MAX_CHARS = 1600
// Earlier customer text added to the retrieval query, so a short follow-up still finds its topic.
const QUERY_THREAD_CHARS = 400
const QUERY_MAX_CHARS = 2000
// Stored with each shown source so agents can check a citation without opening the article.
const EXCERPT_CHARS = 500

const SOURCE_LABEL: Record<RerankSourceKind, string> = {
  global_kb: 'Knowledge base',
  tenant_kb: 'Knowledge base',
  approved_example: 'Approved earlier reply',
  correction: 'Corrected earlier reply',
}

const round4 = (x: number | null | undefined) => (x == null ? null : Math.round(x * 10_000) / 10_000)
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim()
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/**
 * Generates and stores the draft for one `draft` job. Idempotent on `job.jobId` (stored as
 * `ai_replies.request_id`): a redelivered job, even one running concurrently with its twin, leaves one
 * draft. Skips tickets that are gone or closed. Throws on any failure, for the queue to retry.
 */
export async function generateDraft(deps: DraftDeps, job: DraftJob): Promise<DraftOutcome> {
  const { sql, ai } = deps
  const started = performance.now()
  const lap = lapTimer()

  const [existing] = await sql`
    SELECT id FROM ai_replies WHERE tenant_id = ${job.tenantId} AND request_id = ${job.jobId}`
  if (existing) return { status: 'skipped', reason: 'duplicate' }
  const [ticket] = await sql<TicketRow[]>`
    SELECT t.id, t.subject, t.content, t.status, t.priority, t.department, tn.settings
    FROM tickets t JOIN tenants tn ON tn.id = t.tenant_id
    WHERE t.id = ${job.ticketId} AND t.tenant_id = ${job.tenantId}`
  if (!ticket) return { status: 'skipped', reason: 'ticket_missing' }
  if (ticket.status === 'closed') {
    await sql`
      UPDATE tickets SET draft_state = NULL
      WHERE id = ${ticket.id} AND tenant_id = ${job.tenantId} AND draft_state = 'queued'`
    return { status: 'skipped', reason: 'ticket_closed' }
  }
  // Customer and agent messages only: assistant rows are unsent drafts, system rows internal notes.
  const thread = await sql<ThreadMessage[]>`
    SELECT id, role, content FROM messages
    WHERE tenant_id = ${job.tenantId} AND ticket_id = ${ticket.id} AND role IN ('user', 'agent')
    ORDER BY id`
  const rerankCfg = await loadRerankingConfig(sql, job.tenantId)
  const promptVersion = await loadActivePrompt(sql, job.tenantId)
  const tenantRules = escalationRulesOf(ticket.settings, job.tenantId)

  const target =
    (job.messageId !== null ? thread.find((m) => m.id === job.messageId && m.role === 'user') : undefined) ??
    thread.findLast((m) => m.role === 'user')
  // The message was answered (approved) after this job was queued: a draft now could never be approved.
  // Checked here to save the model call, and again under the ticket lock where it is decisive.
  if (await hasApprovedReply(sql, job.tenantId, ticket.id, target?.id ?? null)) {
    return skipAnswered(sql, job.tenantId, ticket.id)
  }
  const question = target?.content ?? ticket.content
  const earlier = target ? thread.filter((m) => m.id < target.id) : []
  const customerTexts = [...earlier.filter((m) => m.role === 'user').map((m) => m.content), question]

  // One vault for the whole ticket, so the same address is the same placeholder everywhere. Everything
  // that leaves this process (embedding query, prompt) is masked, and masked before it is shortened, so a
  // cut can never leave half an address behind; the vault itself never leaves.
  const vault = new Map<string, string>()
  const subject = maskPii(ticket.subject, { vault }).masked
  const maskedQuestion = maskPii(question, { vault }).masked
  const maskedEarlier = earlier.map((m) => ({ ...m, content: maskPii(m.content, { vault }).masked }))
  const summary = maskedEarlier.length > 0 ? summariseThread(maskedEarlier) : null
  const earlierCustomer = maskedEarlier
    .filter((m) => m.role === 'user')
    .slice(-2)
    .map((m) => oneLine(m.content))
    .join(' ')
  const query = clip(
    [subject, maskedQuestion, clip(earlierCustomer, QUERY_THREAD_CHARS)].filter(Boolean).join('\n'),
    QUERY_MAX_CHARS,
  )
  const loadMs = lap()

  const hits = await hybridSearch(sql, ai, { tenantId: job.tenantId, query, k: rerankCfg.topKInitial })
  const retrievalMs = lap()

  let candidates: Candidate[] = hits.map((hit) => ({
    id: hit.chunkId,
    sourceKind: hit.sourceKind,
    score: relevance(hit),
    crossEncoderScore: null,
    hit,
  }))
  let crossEncoder: 'off' | 'used' | 'failed' = 'off'
  if (rerankCfg.isEnabled && deps.config.RERANKER_URL && candidates.length > 0) {
    try {
      const results = await teiRerank({
        url: deps.config.RERANKER_URL,
        query,
        texts: candidates.map((c) => c.hit.text),
        fetch: deps.fetch,
      })
      const byIndex = new Map(results.map((r) => [r.index, r.score]))
      candidates = applyCrossEncoderScores(candidates, results).map((c, i) => ({
        ...c,
        crossEncoderScore: byIndex.get(i) ?? null,
      }))
      crossEncoder = 'used'
    } catch (error) {
      // A draft reranked without the cross-encoder beats no draft: degrade, and say so in the record.
      crossEncoder = 'failed'
      logger.warn('cross-encoder reranking failed; using retrieval scores', {
        tenantId: job.tenantId,
        ticketId: ticket.id,
        error: (error as Error).message,
      })
    }
  }
  // A disabled config means "no source preference": equal weights leave relevance as it is.
  const weights: SourceWeights = rerankCfg.isEnabled
    ? rerankCfg.weights
    : { global_kb: 0.25, tenant_kb: 0.25, approved_example: 0.25, correction: 0.25 }
  // Cut-offs belong to the space the relevance scores live in (shared/drafting/calibration.ts).
  const applied = applyCalibration({
    space:
      crossEncoder === 'used'
        ? { provider: 'tei', model: rerankCfg.modelName }
        : { provider: ai.name, model: ai.embedModel },
    reranking: rerankCfg,
    tenantThreshold: tenantRules?.threshold,
  })
  const shown = rerankBySource(candidates, {
    weights,
    topK: rerankCfg.topKRerank,
    scoreThreshold: applied.minSourceScore,
  })
  const { language } = detectLanguage(`${ticket.subject}\n${question}`)

  const promptSources: PromptSource[] = shown.map((s) => ({
    ref: s.rank,
    title: s.hit.title ?? SOURCE_LABEL[s.sourceKind],
    text: s.hit.text,
    sourceKind: s.sourceKind,
  }))
  const messages = buildDraftPrompt({
    promptVersion,
    ticket: { subject, priority: ticket.priority, department: ticket.department },
    question: maskedQuestion,
    threadSummary: summary,
    sources: promptSources,
    language,
  })
  const rerankMs = lap()
  const result = await ai.chat(messages, {
    model: promptVersion.model,
    temperature: promptVersion.temperature,
    maxTokens: promptVersion.maxTokens,
    grounding: {
      question: maskedQuestion,
      sources: promptSources.map(({ ref, title, text }) => ({ ref, title, text })),
      language,
    },
  })
  const modelMs = lap()
  if (!result.content.trim()) throw new Error(`model ${result.model} returned an empty reply`)

  const citations = extractCitations(
    result.content,
    promptSources.map((s) => s.ref),
  )
  const reply = unmaskPii(citations.cleanedReply.trim(), vault)
  const cited = new Set(citations.cited)
  const citedSources = shown.filter((s) => cited.has(s.rank))

  const bestRetrievalScore = candidates.length > 0 ? Math.max(...candidates.map((c) => c.score)) : null
  const escalation = evaluateEscalation({
    subject: ticket.subject,
    text: customerTexts.join('\n'),
    priority: ticket.priority,
    bestRetrievalScore,
    threshold: applied.lowRetrievalThreshold,
    tenantRules,
  })
  const confidence = scoreConfidence({
    retrievalScores: shown.map((s) => s.rerankScore),
    sourcesCited: citedSources.length,
    sourcesAvailable: shown.length,
    question: maskedQuestion,
    reply: citations.cleanedReply,
    sourceTexts: citedSources.map((s) => s.hit.text),
    sourceArticleIds: citedSources.map(sourceGroup),
    escalationReasons: escalation.reasons,
    replyLength: reply.length,
  })
  const calibratedConfidence = calibrateConfidence(confidence.score, applied.calibration.confidenceMap)
  const intent = detectIntent(`${ticket.subject}\n${customerTexts.join('\n')}`, escalation.reasons)
  const scoringMs = lap()
  const latencyMs = Math.round(performance.now() - started)

  const contextSources = candidates.map((c) => ({
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
  const rerankedSources = shown.map((s) => storedSource(s, cited.has(s.rank)))
  const details = {
    jobId: job.jobId,
    provider: ai.name,
    model: result.model,
    promptVersionId: promptVersion.id,
    confidence: calibratedConfidence,
    confidenceRaw: confidence.score,
    calibration: applied.calibration.id,
    language,
    escalated: escalation.escalate,
    sourcesShown: shown.length,
    sourcesCited: citedSources.length,
    unknownCitations: citations.unknown,
    crossEncoder,
    bestRetrievalScore: round4(bestRetrievalScore),
  }

  const stored = await sql.begin(async (tx) => {
    const [current] = await tx<{ status: TicketStatus }[]>`
      SELECT status FROM tickets WHERE id = ${ticket.id} AND tenant_id = ${job.tenantId} FOR UPDATE`
    if (!current) return null
    // Approval takes the same ticket lock, so an approval that committed while the model was writing is
    // seen here; the job then stores nothing (and cannot escalate an answered ticket).
    if (await hasApprovedReply(tx, job.tenantId, ticket.id, target?.id ?? null)) return 'already_approved'
    const [row] = await tx<{ id: number }[]>`
      INSERT INTO ai_replies (tenant_id, ticket_id, message_id, request_id, prompt_version_id, ai_reply,
        confidence_score, confidence_breakdown, context_sources, reranked_sources, intent_detected,
        tokens_used, latency_ms, provider, model, escalated, escalation_reasons, trigger, confidence_raw,
        calibration, language)
      VALUES (${job.tenantId}, ${ticket.id}, ${target?.id ?? null}, ${job.jobId}, ${promptVersion.id},
        ${reply}, ${calibratedConfidence}, ${tx.json(confidence.breakdown as never)},
        ${tx.json(contextSources as never)}, ${tx.json(rerankedSources as never)}, ${intent},
        ${result.promptTokens + result.completionTokens}, ${latencyMs}, ${ai.name}, ${result.model},
        ${escalation.escalate}, ${tx.json(escalation.reasons as never)}, ${job.trigger}, ${confidence.score},
        ${tx.json(applied.record as never)}, ${language})
      ON CONFLICT (tenant_id, request_id) DO NOTHING
      RETURNING id`
    // The twin of a redelivered job got here first; its draft stands.
    if (!row) return null
    await tx`
      INSERT INTO messages (tenant_id, ticket_id, role, content, metadata_json)
      VALUES (${job.tenantId}, ${ticket.id}, 'assistant', ${reply},
              ${tx.json({ aiReplyId: row.id, provider: ai.name, model: result.model })})`
    await tx`
      UPDATE ai_replies SET status = 'superseded', updated_at = now()
      WHERE tenant_id = ${job.tenantId} AND ticket_id = ${ticket.id} AND status = 'pending' AND id <> ${row.id}`
    const escalateNow =
      escalation.escalate && current.status !== 'escalated' && canTransition(current.status, 'escalated')
    await tx`
      UPDATE tickets SET draft_state = 'ready', draft_error = NULL, updated_at = now()
        ${escalateNow ? tx`, status = 'escalated'` : tx``}
      WHERE id = ${ticket.id} AND tenant_id = ${job.tenantId}`
    await audit(tx, {
      tenantId: job.tenantId,
      userId: job.userId,
      action: job.trigger === 'regenerate' ? 'draft_regenerated' : 'draft_generated',
      entityType: 'ai_reply',
      entityId: row.id,
      ticketId: ticket.id,
      aiReplyId: row.id,
      details,
    })
    if (escalation.escalate) {
      await audit(tx, {
        tenantId: job.tenantId,
        action: 'ticket_escalated',
        entityType: 'ticket',
        entityId: ticket.id,
        ticketId: ticket.id,
        aiReplyId: row.id,
        details: {
          reasons: escalation.reasons,
          previousStatus: current.status,
          // A resolved ticket cannot move to escalated; the draft still carries the flag and reasons.
          statusChanged: escalateNow,
        },
      })
      // Staff working in WHMCS see why (when the tenant turned escalation notes on).
      await queueWhmcsNote(tx, job.tenantId, row.id)
    }
    return row.id
  })
  const storeMs = lap()
  if (stored === null) return { status: 'skipped', reason: 'duplicate' }
  if (stored === 'already_approved') return skipAnswered(sql, job.tenantId, ticket.id)

  const timings = {
    loadMs,
    retrievalMs,
    rerankMs,
    modelMs,
    scoringMs,
    storeMs,
    totalMs: Math.round((performance.now() - started) * 10) / 10,
  }
  logger.debug('draft stored', { tenantId: job.tenantId, ticketId: ticket.id, aiReplyId: stored, ...timings })
  return {
    status: 'created',
    aiReplyId: stored,
    escalated: escalation.escalate,
    escalationReasons: escalation.reasons.map((r) => r.category ?? r.code),
    confidence: calibratedConfidence,
    timings,
  }
}

/** Relevance of a hit without a cross-encoder: its cosine similarity; text-only hits fall back to text rank. */
function relevance(hit: SearchHit): number {
  return hit.vectorScore ?? hit.textScore ?? 0
}

/** Chunks of one article (or one approved reply) agree with each other by construction. */
function sourceGroup(source: Reranked<Candidate>): string {
  const { hit } = source
  if (hit.articleId !== null) return `article:${hit.articleId}`
  if (hit.approvedReplyId !== null) return `reply:${hit.approvedReplyId}`
  return `chunk:${hit.chunkId}`
}

/** A shown source as stored in `reranked_sources` and returned as a draft's `sources`: KB data only. */
function storedSource(s: Reranked<Candidate>, cited: boolean) {
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

/** Compact view of earlier messages: the first one, then the latest few, each cut short. */
function summariseThread(earlier: readonly ThreadMessage[]): string {
  const picked =
    earlier.length > SUMMARY_RECENT + 1 ? [earlier[0]!, ...earlier.slice(-SUMMARY_RECENT)] : [...earlier]
  const omitted = earlier.length - picked.length
  const lines = picked.map(
    (m) =>
      `${m.role === 'user' ? 'Customer' : 'Agent'}: ${clip(oneLine(m.content), SUMMARY_CHARS_PER_MESSAGE)}`,
  )
  if (omitted > 0) lines.splice(1, 0, `(${omitted} earlier message(s) omitted)`)
  return clip(lines.join('\n'), SUMMARY_MAX_CHARS)
}

/**
 * The tenant's escalation rules from `tenants.settings.escalation`. A malformed document is ignored (with
 * a warning) rather than failing every draft: the default rules still apply, so nothing escalates less.
 */
function escalationRulesOf(
  settings: Record<string, unknown> | null,
  tenantId: number,
): TenantEscalationRules | undefined {
  const raw = settings?.escalation
  if (raw === undefined || raw === null) return undefined
  const parsed = tenantEscalationRulesSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  logger.warn('ignoring invalid tenant escalation settings', { tenantId, issues: parsed.error.issues })
  return undefined
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
