/**
 * Stage 6 of the draft pipeline (shared/drafts/pipeline.ts): escalation and confidence, decided in code.
 */
import type { Reranked } from '../knowledge/rerank.ts'
import { ACCOUNT_FACT_STRENGTH, type AccountSignals, escalateWithAccount } from '../trust/account.ts'
import { calibrateConfidence } from '../trust/calibration.ts'
import { scoreConfidence } from '../trust/confidence.ts'
import { evaluateEscalation } from '../trust/escalation.ts'
import { modelFacts, type NumberedFact } from './account-text.ts'
import { detectIntent } from './intent.ts'
import type { Candidate, DraftScores, Ranking, StageContext, VerifiedReply } from './types.ts'

/**
 * Stage 6, score and decide: escalation (rules in code), calibrated confidence and the intent label. Cited
 * account facts count as sources (shared/trust/account.ts).
 */
export function scoreDraft(ctx: StageContext, ranking: Ranking, verified: VerifiedReply): DraftScores {
  const { ticket, customerTexts } = ctx
  const { candidates, shown, applied } = ranking
  const { citations, citedSources, citedFacts } = verified
  const facts = ranking.account?.facts ?? []
  const bestRetrievalScore = candidates.length > 0 ? Math.max(...candidates.map((c) => c.score)) : null
  const byRules = evaluateEscalation({
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
  const escalation = escalateWithAccount(byRules, accountSignals(facts, citedFacts))
  const confidence = scoreConfidence({
    retrievalScores: [...shown.map((s) => s.rerankScore), ...citedFacts.map(() => ACCOUNT_FACT_STRENGTH)],
    sourcesCited: citedSources.length + citedFacts.length,
    sourcesAvailable: shown.length + modelFacts(facts).length,
    question: ctx.maskedQuestion,
    reply: citations.cleanedReply,
    sourceTexts: [...citedSources.map((s) => s.hit.text), ...citedFacts.map((f) => f.text)],
    sourceArticleIds: [...citedSources.map(sourceGroup), ...citedFacts.map(() => 'account')],
    escalationReasons: escalation.reasons,
    replyLength: verified.reply.length,
  })
  const calibratedConfidence = calibrateConfidence(confidence.score, applied.calibration.confidenceMap)
  const intent = detectIntent(`${ticket.subject}\n${customerTexts.join('\n')}`, escalation.reasons)
  return { escalation, confidence, calibratedConfidence, intent, bestRetrievalScore }
}

/** What escalation learns from the account facts: see shared/trust/account.ts. */
function accountSignals(facts: readonly NumberedFact[], cited: readonly NumberedFact[]): AccountSignals {
  const flagged = (why: string) => facts.filter((f) => f.fact.why === why).map((f) => f.title)
  return {
    restsOnAccount: cited.some((f) => f.fact.kind !== 'client'),
    fraud: flagged('fraud'),
    collections: flagged('collections'),
  }
}

/** Chunks of one article (or one approved reply) agree with each other by construction. */
function sourceGroup(source: Reranked<Candidate>): string {
  const { hit } = source
  if (hit.articleId !== null) return `article:${hit.articleId}`
  if (hit.approvedReplyId !== null) return `reply:${hit.approvedReplyId}`
  return `chunk:${hit.chunkId}`
}
