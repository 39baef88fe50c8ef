/**
 * The stages of the draft pipeline before anything is stored, in the order generateDraft (drafting.ts)
 * runs them: loadDraftContext → retrieveCandidates → rerankCandidates → writeReply → verifyCitations →
 * scoreDraft. Each takes what the stage before produced and touches no table; the one writing stage,
 * storeDraft, is in draft-store.ts. The scores they use are explained in drafting.ts's module comment.
 */
import type { AiProvider, ChatResult } from '../ai/provider.ts'
import type { Sql } from '../db/sql.ts'
import {
  applyCrossEncoderScores,
  type Reranked,
  type RerankSourceKind,
  rerankBySource,
  SOURCE_KIND_LABEL,
  type SourceWeights,
  teiRerank,
} from '../knowledge/rerank.ts'
import { loadRerankingConfig, type RerankingConfigView } from '../knowledge/reranking-config.ts'
import { hybridSearch, type SearchHit } from '../knowledge/search.ts'
import { logger } from '../logger.ts'
import type { DraftJob } from '../queue/jobs.ts'
import { detectLanguage, type Language } from '../text/language.ts'
import { maskPii, unmaskPii } from '../text/pii.ts'
import type { Priority, TicketStatus } from '../tickets/status.ts'
import { type AppliedCalibration, applyCalibration, calibrateConfidence } from '../trust/calibration.ts'
import { scoreConfidence } from '../trust/confidence.ts'
import { COVERAGE_PASSAGES, coverageByPassages, type QueryLexemes, queryLexemes } from '../trust/coverage.ts'
import {
  evaluateEscalation,
  type TenantEscalationRules,
  tenantEscalationRulesSchema,
} from '../trust/escalation.ts'
import { UNMENTIONED_PASSAGES, unmentionedTerms } from '../trust/unmentioned.ts'
import { type CitationResult, extractCitations } from './citations.ts'
import { detectIntent } from './intent.ts'
import type { DraftDeps, DraftOutcome } from './pipeline.ts'
import { buildDraftPrompt, type PromptSource, takeNoAnswerMarker } from './prompt.ts'
import { type ActivePrompt, loadActivePrompt } from './prompt-versions.ts'
import { hasApprovedReply, skipAnswered } from './requests.ts'

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
export interface Candidate {
  id: number
  sourceKind: RerankSourceKind
  /** Relevance (see drafting.ts's module comment); rerankBySource weights it by source kind. */
  score: number
  crossEncoderScore: number | null
  hit: SearchHit
}

/** Stage 1's result: the ticket, the message to answer, the tenant's settings and the masked query. */
export interface DraftContext {
  job: DraftJob
  ticket: TicketRow
  rerankCfg: RerankingConfigView
  promptVersion: ActivePrompt
  tenantRules: TenantEscalationRules | undefined
  /** The customer message answered; undefined for a ticket without one (its opening content is used). */
  target: ThreadMessage | undefined
  /** Customer texts of the thread up to the answered message, unmasked (escalation reads them). */
  customerTexts: string[]
  /** Placeholder → original text, for restoring the reply; never leaves this process. */
  vault: Map<string, string>
  maskedSubject: string
  maskedQuestion: string
  threadSummary: string | null
  query: string
  language: Language
}

/** Stage 2's result: the candidates, and the query's lexeme statistics knowledge coverage needs. */
export interface Retrieved {
  candidates: Candidate[]
  lexemes: QueryLexemes
}

/** Stages 2–3's result: every candidate (stored for audit) and the passages shown to the model. */
export interface Ranking {
  candidates: Candidate[]
  shown: Reranked<Candidate>[]
  crossEncoder: 'off' | 'used' | 'failed'
  applied: AppliedCalibration
  /** Knowledge coverage of the query by the best candidates (shared/trust/coverage.ts). */
  coverage: number | null
  /** Specific terms of the question the best candidates never mention (shared/trust/unmentioned.ts). */
  unmentioned: string[]
  /**
   * The language of the shown sources when it differs from the customer's and the provider cannot translate
   * (`AiProvider.translates`); null otherwise. Escalates for `language_mismatch`.
   */
  untranslatedSources: { customer: Language; sources: Language } | null
  /** The language of the shown sources taken together; null when none are shown. */
  sourcesLanguage: Language | null
}

/** Stage 4's result. */
export interface ModelReply {
  promptSources: PromptSource[]
  result: ChatResult
}

/** Stage 5's result: the reply with placeholders restored, and which shown sources it cites. */
export interface VerifiedReply {
  citations: CitationResult
  reply: string
  cited: Set<number>
  citedSources: Reranked<Candidate>[]
  /** The drafter said the sources do not answer the question (its marker is removed from `reply`). */
  noAnswer: boolean
}

/** Stage 6's result. */
export interface DraftScores {
  escalation: ReturnType<typeof evaluateEscalation>
  confidence: ReturnType<typeof scoreConfidence>
  calibratedConfidence: number
  intent: ReturnType<typeof detectIntent>
  bestRetrievalScore: number | null
}

// Earlier messages shown to the model: the first (it states the problem) and the latest few, each cut
// short. Enough for "it still does not work" to make sense, small enough not to crowd out the sources.
const SUMMARY_RECENT = 4
const SUMMARY_CHARS_PER_MESSAGE = 300
const SUMMARY_MAX_CHARS = 1600
// Earlier customer text added to the retrieval query, so a short follow-up still finds its topic.
const QUERY_THREAD_CHARS = 400
const QUERY_MAX_CHARS = 2000

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim()
export const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/**
 * Stage 1, load: the ticket, its thread, the tenant's reranking config, prompt and escalation rules, and
 * the masked query. Returns a skip outcome for a redelivered job, a ticket that is gone or closed, or a
 * message that was answered after the job was queued.
 */
export async function loadDraftContext(sql: Sql, job: DraftJob): Promise<DraftContext | DraftOutcome> {
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
  // Independent reads: sent at once (a pipeline on one connection, or side by side on a server's pool).
  const [thread, rerankCfg, promptVersion] = await Promise.all([
    sql<ThreadMessage[]>`
      SELECT id, role, content FROM messages
      WHERE tenant_id = ${job.tenantId} AND ticket_id = ${ticket.id} AND role IN ('user', 'agent')
      ORDER BY id`,
    loadRerankingConfig(sql, job.tenantId),
    loadActivePrompt(sql, job.tenantId),
  ])
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
  const maskedSubject = maskPii(ticket.subject, { vault }).masked
  const maskedQuestion = maskPii(question, { vault }).masked
  const maskedEarlier = earlier.map((m) => ({ ...m, content: maskPii(m.content, { vault }).masked }))
  const earlierCustomer = maskedEarlier
    .filter((m) => m.role === 'user')
    .slice(-2)
    .map((m) => oneLine(m.content))
    .join(' ')
  const query = clip(
    [maskedSubject, maskedQuestion, clip(earlierCustomer, QUERY_THREAD_CHARS)].filter(Boolean).join('\n'),
    QUERY_MAX_CHARS,
  )
  return {
    job,
    ticket,
    rerankCfg,
    promptVersion,
    tenantRules,
    target,
    customerTexts,
    vault,
    maskedSubject,
    maskedQuestion,
    threadSummary: maskedEarlier.length > 0 ? summariseThread(maskedEarlier) : null,
    query,
    language: detectLanguage(`${ticket.subject}\n${question}`).language,
  }
}

/**
 * Stage 2, retrieve: hybrid search for the masked query, each hit scored by its relevance. The query's
 * lexeme statistics for knowledge coverage (stage 3) depend on the query only, so they are read at the
 * same time (on a server's pool, on another connection).
 */
export async function retrieveCandidates(sql: Sql, ai: AiProvider, ctx: DraftContext): Promise<Retrieved> {
  const lexemes = queryLexemes(sql, { tenantId: ctx.job.tenantId, query: ctx.query })
  // Awaited below; a failure of the search first must not leave this one unhandled.
  lexemes.catch(() => {})
  const hits = await hybridSearch(sql, ai, {
    tenantId: ctx.job.tenantId,
    query: ctx.query,
    k: ctx.rerankCfg.topKInitial,
  })
  const candidates = hits.map((hit) => ({
    id: hit.chunkId,
    sourceKind: hit.sourceKind,
    score: relevance(hit),
    crossEncoderScore: null,
    hit,
  }))
  return { candidates, lexemes: await lexemes }
}

/**
 * Stage 3, rerank: the optional cross-encoder (a failure degrades to retrieval scores), then the
 * source-weighted rerank with the cut-offs of the scoring space the relevance scores live in.
 */
export async function rerankCandidates(
  deps: DraftDeps,
  ctx: DraftContext,
  retrieved: Retrieved,
): Promise<Ranking> {
  const { rerankCfg } = ctx
  let candidates = retrieved.candidates
  let crossEncoder: Ranking['crossEncoder'] = 'off'
  if (rerankCfg.isEnabled && deps.config.RERANKER_URL && candidates.length > 0) {
    try {
      const results = await teiRerank({
        url: deps.config.RERANKER_URL,
        query: ctx.query,
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
        tenantId: ctx.job.tenantId,
        ticketId: ctx.ticket.id,
        error: (error as Error).message,
      })
    }
  }
  // A disabled config means "no source preference": equal weights leave relevance as it is.
  const weights: SourceWeights = rerankCfg.isEnabled
    ? rerankCfg.weights
    : { global_kb: 0.25, tenant_kb: 0.25, approved_example: 0.25, correction: 0.25 }
  // Cut-offs belong to the space the relevance scores live in (shared/trust/calibration.ts).
  const applied = applyCalibration({
    space:
      crossEncoder === 'used'
        ? { provider: 'tei', model: rerankCfg.modelName }
        : { provider: deps.ai.name, model: deps.ai.embedModel },
    reranking: rerankCfg,
    tenantThreshold: ctx.tenantRules?.threshold,
  })
  const shown = rerankBySource(candidates, {
    weights,
    topK: rerankCfg.topKRerank,
    scoreThreshold: applied.minSourceScore,
  })
  const byRelevance = [...candidates].sort((a, b) => b.score - a.score)
  const best = byRelevance.slice(0, COVERAGE_PASSAGES)
  // Lexical coverage means nothing across languages (a German question shares no lexemes with the English
  // article that answers it), so it is only measured when the best passage is in the question's language.
  const bestLanguage = best[0] === undefined ? null : detectLanguage(best[0].hit.text).language
  const sameLanguage = bestLanguage === ctx.language
  const [coverage, unmentioned] = sameLanguage
    ? await Promise.all([
        coverageByPassages(deps.sql, {
          tenantId: ctx.job.tenantId,
          lexemes: retrieved.lexemes,
          passageIds: best.map((c) => c.id),
        }).then((c) => c.score),
        // The list of everyday words it needs is English (shared/trust/unmentioned.ts).
        ctx.language === 'en'
          ? unmentionedTerms(deps.sql, {
              tenantId: ctx.job.tenantId,
              question: ctx.maskedQuestion,
              passageIds: byRelevance.slice(0, UNMENTIONED_PASSAGES).map((c) => c.id),
            })
          : [],
      ])
    : [null, []]
  applied.record.coverage = coverage
  applied.record.unmentioned = unmentioned
  // What the drafter will quote: the shown sources (their language as a whole, as the built-in drafter
  // judges it when it says "the sources are in English").
  const shownLanguage =
    shown.length === 0 ? null : detectLanguage(shown.map((s) => s.hit.text).join('\n')).language
  const untranslatedSources =
    !deps.ai.translates && shownLanguage !== null && shownLanguage !== ctx.language
      ? { customer: ctx.language, sources: shownLanguage }
      : null
  return {
    candidates,
    shown,
    crossEncoder,
    applied,
    coverage,
    unmentioned,
    untranslatedSources,
    sourcesLanguage: shownLanguage,
  }
}

/** Stage 4, prompt and model: the active prompt version filled with the shown sources, then the LLM. */
export async function writeReply(ai: AiProvider, ctx: DraftContext, ranking: Ranking): Promise<ModelReply> {
  const { promptVersion, ticket, maskedQuestion, language } = ctx
  const promptSources: PromptSource[] = ranking.shown.map((s) => ({
    ref: s.rank,
    title: s.hit.title ?? SOURCE_KIND_LABEL[s.sourceKind],
    text: s.hit.text,
    sourceKind: s.sourceKind,
  }))
  const messages = buildDraftPrompt({
    promptVersion,
    ticket: { subject: ctx.maskedSubject, priority: ticket.priority, department: ticket.department },
    question: maskedQuestion,
    threadSummary: ctx.threadSummary,
    sources: promptSources,
    language,
  })
  const result = await ai.chat(messages, {
    model: promptVersion.model,
    temperature: promptVersion.temperature,
    maxTokens: promptVersion.maxTokens,
    grounding: {
      question: maskedQuestion,
      sources: promptSources.map(({ ref, title, text }) => ({ ref, title, text })),
      language,
      sourcesLanguage: ranking.sourcesLanguage ?? undefined,
    },
  })
  if (!result.content.trim()) throw new Error(`model ${result.model} returned an empty reply`)
  return { promptSources, result }
}

/**
 * Stage 5, verify citations: keeps only citations of sources the model was shown, and restores the
 * customer's details in the reply.
 */
export function verifyCitations(ctx: DraftContext, ranking: Ranking, written: ModelReply): VerifiedReply {
  const { reply: content, noAnswer } = takeNoAnswerMarker(written.result.content)
  const citations = extractCitations(
    content,
    written.promptSources.map((s) => s.ref),
  )
  const reply = unmaskPii(citations.cleanedReply.trim(), ctx.vault)
  const cited = new Set(citations.cited)
  const citedSources = ranking.shown.filter((s) => cited.has(s.rank))
  return { citations, reply, cited, citedSources, noAnswer }
}

/** Stage 6, score and decide: escalation (rules in code), calibrated confidence and the intent label. */
export function scoreDraft(ctx: DraftContext, ranking: Ranking, verified: VerifiedReply): DraftScores {
  const { ticket, customerTexts } = ctx
  const { candidates, shown, applied } = ranking
  const { citations, citedSources } = verified
  const bestRetrievalScore = candidates.length > 0 ? Math.max(...candidates.map((c) => c.score)) : null
  const escalation = evaluateEscalation({
    subject: ticket.subject,
    text: customerTexts.join('\n'),
    priority: ticket.priority,
    bestRetrievalScore,
    threshold: applied.lowRetrievalThreshold,
    coverage: ranking.coverage,
    minCoverage: applied.minCoverage,
    unmentioned: ranking.unmentioned,
    untranslatedSources: ranking.untranslatedSources,
    noAnswer: verified.noAnswer,
    tenantRules: ctx.tenantRules,
  })
  const confidence = scoreConfidence({
    retrievalScores: shown.map((s) => s.rerankScore),
    sourcesCited: citedSources.length,
    sourcesAvailable: shown.length,
    question: ctx.maskedQuestion,
    reply: citations.cleanedReply,
    sourceTexts: citedSources.map((s) => s.hit.text),
    sourceArticleIds: citedSources.map(sourceGroup),
    escalationReasons: escalation.reasons,
    replyLength: verified.reply.length,
  })
  const calibratedConfidence = calibrateConfidence(confidence.score, applied.calibration.confidenceMap)
  const intent = detectIntent(`${ticket.subject}\n${customerTexts.join('\n')}`, escalation.reasons)
  return { escalation, confidence, calibratedConfidence, intent, bestRetrievalScore }
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
