/**
 * A draft that is never stored: the pipeline's retrieval, writing and scoring stages for a question of a
 * tenant, with the tenant's KB, prompt version, reranking config and escalation rules. What a lead checks
 * an article with before customers ask, and what a replay of the desk's history measures, both without a
 * pending draft, a send, learning or an analytics count.
 */

import type { Priority } from '../api/tickets.ts'
import type { AuthContext } from '../auth/roles.ts'
import type { Sql } from '../db/sql.ts'
import { loadRerankingConfig } from '../knowledge/reranking-config.ts'
import type { Calibration } from '../trust/calibration.ts'
import { tenantCalibrations } from '../trust/tenant-calibration.ts'
import { escalationRulesOf, stageContext } from './context.ts'
import { loadActivePrompt } from './prompt-versions.ts'
import { rerankCandidates, retrieveCandidates } from './retrieval.ts'
import { scoreDraft } from './scoring.ts'
import { storedSource } from './store.ts'
import type { DraftDeps, DraftScores, ModelReply, Ranking, VerifiedReply } from './types.ts'
import { verifyCitations, writeReply } from './writing.ts'

/** The question to draft for, as a customer would have sent it. */
interface PreviewInput {
  question: string
  /** Default: the question's first line. */
  subject?: string
  priority?: Priority
  department?: string | null
  /** A replay: the ticket whose answer must not be retrieved (its own approved replies' learning). */
  excludeLearningOfTicket?: number
  /** A calibration table to apply instead of the tenant's own and the built-in ones (a replay's). */
  calibrationTable?: readonly Calibration[]
}

/** Everything a stored draft would record, and the stage results a replay labels. */
export interface DraftPreview {
  reply: string
  /** The shown sources as a stored draft lists them (`cited` says which the reply cites). */
  sources: Array<ReturnType<typeof storedSource>>
  confidence: number
  confidenceRaw: number
  confidenceBreakdown: DraftScores['confidence']['breakdown']
  escalated: boolean
  escalationReasons: DraftScores['escalation']['reasons']
  /** The calibration the scores used, with the knowledge signals it was given (coverage, unmentioned terms). */
  calibration: Ranking['applied']['record']
  language: string
  provider: string
  model: string
  /** The stage results, for callers that need more than the summary (a replay's labels). */
  stages: { ranking: Ranking; written: ModelReply; verified: VerifiedReply; scores: DraftScores }
}

/**
 * Drafts `input.question` for `tenantId` through the real stages and returns the result; writes nothing.
 */
export async function previewDraft(
  deps: DraftDeps,
  tenantId: number,
  input: PreviewInput,
): Promise<DraftPreview> {
  const { sql, ai } = deps
  const settings = await tenantSettings(sql, tenantId)
  const [rerankCfg, promptVersion, calibrations] = await Promise.all([
    loadRerankingConfig(sql, tenantId),
    loadActivePrompt(sql, tenantId),
    tenantCalibrations(sql, tenantId),
  ])
  const ctx = stageContext({
    tenantId,
    ticket: {
      id: null,
      subject: input.subject ?? input.question.split('\n', 1)[0]!.slice(0, 500),
      priority: input.priority ?? 'medium',
      department: input.department ?? null,
    },
    rerankCfg,
    promptVersion,
    tenantRules: escalationRulesOf(settings, tenantId),
    question: input.question,
    earlier: [],
    excludeLearningOfTicket: input.excludeLearningOfTicket,
    tenantCalibrations: calibrations,
    calibrationTable: input.calibrationTable,
  })
  const retrieved = await retrieveCandidates(sql, ai, ctx)
  const ranking = await rerankCandidates(deps, ctx, retrieved)
  const written = await writeReply(ai, ctx, ranking)
  const verified = verifyCitations(ctx, ranking, written)
  const scores = scoreDraft(ctx, ranking, verified)
  return {
    reply: verified.reply,
    sources: ranking.shown.map((s) => storedSource(s, verified.cited.has(s.rank))),
    confidence: scores.calibratedConfidence,
    confidenceRaw: scores.confidence.score,
    confidenceBreakdown: scores.confidence.breakdown,
    escalated: scores.escalation.escalate,
    escalationReasons: scores.escalation.reasons,
    calibration: ranking.applied.record,
    language: ctx.language,
    provider: ai.name,
    model: written.result.model,
    stages: { ranking, written, verified, scores },
  }
}

async function tenantSettings(sql: Sql, tenantId: number): Promise<Record<string, unknown>> {
  const [tenant] = await sql<{ settings: Record<string, unknown> | null }[]>`
    SELECT settings FROM tenants WHERE id = ${tenantId}`
  return tenant?.settings ?? {}
}

/** `POST /drafts/preview`: a preview in the caller's tenant, without the stage internals. */
export async function previewForCaller(
  deps: DraftDeps,
  auth: AuthContext,
  input: { question: string; subject?: string },
): Promise<Omit<DraftPreview, 'stages'>> {
  const { stages: _stages, ...preview } = await previewDraft(deps, auth.tenantId, input)
  return preview
}
