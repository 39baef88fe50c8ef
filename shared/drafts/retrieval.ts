/**
 * Stages 2 and 3 of the draft pipeline (shared/drafts/pipeline.ts): hybrid retrieval, then the optional
 * cross-encoder and the source-weighted rerank, with the trust signals of the best passages (knowledge
 * coverage, unmentioned terms, the sources' language).
 */
import type { AiProvider } from '../ai/provider.ts'
import type { Sql } from '../db/sql.ts'
import {
  applyCrossEncoderScores,
  rerankBySource,
  type SourceWeights,
  teiRerank,
} from '../knowledge/rerank.ts'
import { hybridSearch, type SearchHit } from '../knowledge/search.ts'
import { logger } from '../logger.ts'
import { detectLanguage } from '../text/language.ts'
import { applyCalibration } from '../trust/calibration.ts'
import { COVERAGE_PASSAGES, coverageByPassages, queryLexemes } from '../trust/coverage.ts'
import { UNMENTIONED_PASSAGES, unmentionedTerms } from '../trust/unmentioned.ts'
import type { Candidate, DraftDeps, Ranking, Retrieved, StageContext } from './types.ts'

/**
 * Stage 2, retrieve: hybrid search for the masked query, each hit scored by its relevance. The query's
 * lexeme statistics for knowledge coverage (stage 3) depend on the query only, so they are read at the
 * same time (on a server's pool, on another connection).
 */
export async function retrieveCandidates(sql: Sql, ai: AiProvider, ctx: StageContext): Promise<Retrieved> {
  const lexemes = queryLexemes(sql, { tenantId: ctx.tenantId, query: ctx.query })
  // Awaited below; a failure of the search first must not leave this one unhandled.
  lexemes.catch(() => {})
  const hits = await hybridSearch(sql, ai, {
    tenantId: ctx.tenantId,
    query: ctx.query,
    k: ctx.rerankCfg.topKInitial,
    excludeLearningOfTicket: ctx.excludeLearningOfTicket,
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
  ctx: StageContext,
  retrieved: Retrieved,
): Promise<Ranking> {
  const { rerankCfg } = ctx
  const { candidates, crossEncoder } = await crossEncode(deps, ctx, retrieved.candidates)
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
    tenant: ctx.tenantCalibrations,
    table: ctx.calibrationTable,
  })
  const shown = rerankBySource(candidates, {
    weights,
    topK: rerankCfg.topKRerank,
    scoreThreshold: applied.minSourceScore,
  })
  const { coverage, unmentioned } = await knowledgeCoverage(deps.sql, ctx, retrieved, candidates)
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

/**
 * The optional cross-encoder (`RERANKER_URL`, when the tenant's reranking is on): its scores replace the
 * retrieval scores. A failure degrades to retrieval scores and is recorded, never fails the draft.
 */
async function crossEncode(
  deps: DraftDeps,
  ctx: StageContext,
  retrieved: Candidate[],
): Promise<{ candidates: Candidate[]; crossEncoder: Ranking['crossEncoder'] }> {
  const { rerankCfg } = ctx
  if (!rerankCfg.isEnabled || !deps.config.RERANKER_URL || retrieved.length === 0) {
    return { candidates: retrieved, crossEncoder: 'off' }
  }
  try {
    const results = await teiRerank({
      url: deps.config.RERANKER_URL,
      query: ctx.query,
      texts: retrieved.map((c) => c.hit.text),
      fetch: deps.fetch,
    })
    const byIndex = new Map(results.map((r) => [r.index, r.score]))
    const candidates = applyCrossEncoderScores(retrieved, results).map((c, i) => ({
      ...c,
      crossEncoderScore: byIndex.get(i) ?? null,
    }))
    return { candidates, crossEncoder: 'used' }
  } catch (error) {
    // A draft reranked without the cross-encoder beats no draft: degrade, and say so in the record.
    logger.warn('cross-encoder reranking failed; using retrieval scores', {
      tenantId: ctx.tenantId,
      ticketId: ctx.ticket.id,
      error: (error as Error).message,
    })
    return { candidates: retrieved, crossEncoder: 'failed' }
  }
}

/**
 * Knowledge coverage and unmentioned terms of the best candidates (shared/trust/). Lexical coverage means
 * nothing across languages (a German question shares no lexemes with the English article that answers it),
 * so both are only measured when the best passage is in the question's language.
 */
async function knowledgeCoverage(
  sql: Sql,
  ctx: StageContext,
  retrieved: Retrieved,
  candidates: Candidate[],
): Promise<{ coverage: number | null; unmentioned: string[] }> {
  const byRelevance = [...candidates].sort((a, b) => b.score - a.score)
  const best = byRelevance.slice(0, COVERAGE_PASSAGES)
  const bestLanguage = best[0] === undefined ? null : detectLanguage(best[0].hit.text).language
  if (bestLanguage !== ctx.language) return { coverage: null, unmentioned: [] }
  const [coverage, unmentioned] = await Promise.all([
    coverageByPassages(sql, {
      tenantId: ctx.tenantId,
      lexemes: retrieved.lexemes,
      passageIds: best.map((c) => c.id),
    }).then((c) => c.score),
    // The list of everyday words it needs is English (shared/trust/unmentioned.ts).
    ctx.language === 'en'
      ? unmentionedTerms(sql, {
          tenantId: ctx.tenantId,
          question: ctx.maskedQuestion,
          passageIds: byRelevance.slice(0, UNMENTIONED_PASSAGES).map((c) => c.id),
        })
      : [],
  ])
  return { coverage, unmentioned }
}

/** Relevance of a hit without a cross-encoder: its cosine similarity; text-only hits fall back to text rank. */
function relevance(hit: SearchHit): number {
  return hit.vectorScore ?? hit.textScore ?? 0
}
