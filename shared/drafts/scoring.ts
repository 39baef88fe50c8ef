/**
 * Stage 6 of the draft pipeline (shared/drafts/pipeline.ts): escalation and confidence, decided in code.
 */
import type { Reranked } from '../knowledge/rerank.ts'
import { calibrateConfidence } from '../trust/calibration.ts'
import { scoreConfidence } from '../trust/confidence.ts'
import { evaluateEscalation } from '../trust/escalation.ts'
import { detectIntent } from './intent.ts'
import type { Candidate, DraftScores, Ranking, StageContext, VerifiedReply } from './types.ts'

/** Stage 6, score and decide: escalation (rules in code), calibrated confidence and the intent label. */
export function scoreDraft(ctx: StageContext, ranking: Ranking, verified: VerifiedReply): DraftScores {
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

/** Chunks of one article (or one approved reply) agree with each other by construction. */
function sourceGroup(source: Reranked<Candidate>): string {
  const { hit } = source
  if (hit.articleId !== null) return `article:${hit.articleId}`
  if (hit.approvedReplyId !== null) return `reply:${hit.approvedReplyId}`
  return `chunk:${hit.chunkId}`
}
