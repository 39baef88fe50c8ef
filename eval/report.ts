/**
 * Turns the drafts of one evaluation round into the report's figures. Definitions (also in README):
 *
 * - retrieval hit@k: among answerable tickets, the expected article is one of the first k distinct
 *   articles of the retrieval candidates (hybrid search order, as the drafter received them);
 * - citation accuracy: among answerable tickets, the draft cites (a chunk of) the expected article;
 * - a draft is **right** when the ticket is answerable, the draft cites the expected article and it
 *   contains every answer fact (folded substring match). Drafts for out-of-KB and must-escalate tickets
 *   are never right: an agent has to write or decide those replies. "Right" is what an agent approves
 *   unedited, which is what live calibration counts (analytics);
 * - escalation precision/recall: positive = the ticket should escalate (out of KB or must escalate),
 *   predicted = the draft was escalated, for any reason;
 * - confidence: AUROC of the raw points and of the calibrated confidence for right vs not, and the
 *   calibrated confidence's expected calibration error (10 equal-width bins) and Brier score.
 */
import { reliabilityDiagram } from '#shared/calibration/reliability-svg'
import type { ReliabilityBin } from '#shared/trust/calibration'
import { brier, ece, reliability, type Scored } from '#shared/trust/fit-metrics'
import { auroc, factsFound, precisionRecall } from './metrics.ts'

export type Label = 'answerable' | 'out_of_kb' | 'must_escalate'

/** One ticket of eval/dataset/tickets.json (format: eval/dataset/SPEC.md). */
export interface EvalTicket {
  id: string
  subject: string
  content: string
  language: string
  priority: 'low' | 'medium' | 'high' | 'urgent'
  label: Label
  article: string | null
  answerFacts: string[]
  escalation: string | null
  /** What an agent of the desk sent (SPEC.md); the desk simulation labels shadow drafts against it. */
  staffReply: string
}

/** What the harness read back from `ai_replies` for one ticket. */
export interface DraftRecord {
  reply: string
  confidence: number
  confidenceRaw: number
  escalated: boolean
  reasons: Array<{ code: string; category?: string }>
  /** Slugs of the retrieval candidates' articles, in retrieval order (null: not an article). */
  candidateSlugs: Array<string | null>
  citedSlugs: string[]
  bestRetrievalScore: number | null
  /** Knowledge coverage the draft recorded (shared/trust/coverage.ts). */
  coverage: number | null
  /** Specific question terms the best passages never mention (shared/trust/unmentioned.ts). */
  unmentioned: string[]
  /** Best relevance among the expected article's candidates, when it was retrieved. */
  expectedRelevance: number | null
  language: string | null
  calibrationId: string | null
}

/** Per-ticket outcome, kept in the JSON report so a reader can see every miss. */
export interface TicketOutcome {
  id: string
  label: Label
  language: string
  detectedLanguage: string | null
  expected: string | null
  hitRank: number | null
  citesExpected: boolean
  missingFacts: string[]
  right: boolean
  escalated: boolean
  reasons: string[]
  confidence: number
  confidenceRaw: number
  bestRetrievalScore: number | null
  coverage: number | null
  unmentioned: string[]
}

const share = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null)
const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000)

/** Judges one draft against its labelled ticket. */
export function judge(ticket: EvalTicket, draft: DraftRecord): TicketOutcome {
  const distinct = [...new Set(draft.candidateSlugs.filter((s): s is string => s !== null))]
  const rank = ticket.article ? distinct.indexOf(ticket.article) : -1
  const citesExpected = ticket.article !== null && draft.citedSlugs.includes(ticket.article)
  const { missing } = factsFound(draft.reply, ticket.answerFacts)
  return {
    id: ticket.id,
    label: ticket.label,
    language: ticket.language,
    detectedLanguage: draft.language,
    expected: ticket.article,
    hitRank: rank >= 0 ? rank + 1 : null,
    citesExpected,
    missingFacts: missing,
    right: ticket.label === 'answerable' && citesExpected && missing.length === 0,
    escalated: draft.escalated,
    reasons: draft.reasons.map((r) => (r.category ? `${r.code}:${r.category}` : r.code)),
    confidence: draft.confidence,
    confidenceRaw: draft.confidenceRaw,
    bestRetrievalScore: draft.bestRetrievalScore,
    coverage: draft.coverage,
    unmentioned: draft.unmentioned,
  }
}

/** The figures of one round (one prompt version, one calibration). */
export interface RoundMetrics {
  tickets: number
  retrieval: { answerable: number; hitAt1: number | null; hitAt3: number | null }
  citations: { expectedCited: number | null; factsContained: number | null; right: number | null }
  escalation: {
    precision: number | null
    recall: number | null
    answerableEscalated: number | null
    answerableLowRetrieval: number | null
    outOfKbEscalated: number | null
    mustEscalateEscalated: number | null
    mustEscalateExpectedCategory: number | null
  }
  confidence: {
    aurocRaw: number | null
    auroc: number | null
    ece: number | null
    brier: number | null
    meanConfidence: number | null
    rightRate: number | null
    reliability: ReliabilityBin[]
  }
  language: { detected: number | null; nonEnglish: number }
}

/** Aggregates one round; `tickets` and `outcomes` are aligned. */
export function roundMetrics(
  tickets: readonly EvalTicket[],
  outcomes: readonly TicketOutcome[],
): RoundMetrics {
  const of = (label: Label) => outcomes.filter((o) => o.label === label)
  const answerable = of('answerable')
  const outOfKb = of('out_of_kb')
  const must = of('must_escalate')
  const byId = new Map(tickets.map((t) => [t.id, t]))
  const scored: Scored[] = outcomes.map((o) => ({ p: o.confidence / 100, right: o.right }))
  const pr = precisionRecall(
    outcomes.map((o) => ({ predicted: o.escalated, actual: o.label !== 'answerable' })),
  )
  const nonEnglish = outcomes.filter((o) => o.language !== 'en')
  return {
    tickets: outcomes.length,
    retrieval: {
      answerable: answerable.length,
      hitAt1: share(answerable.filter((o) => o.hitRank === 1).length, answerable.length),
      hitAt3: share(answerable.filter((o) => o.hitRank !== null && o.hitRank <= 3).length, answerable.length),
    },
    citations: {
      expectedCited: share(answerable.filter((o) => o.citesExpected).length, answerable.length),
      factsContained: share(answerable.filter((o) => o.missingFacts.length === 0).length, answerable.length),
      right: share(answerable.filter((o) => o.right).length, answerable.length),
    },
    escalation: {
      precision: r4(pr.precision),
      recall: r4(pr.recall),
      answerableEscalated: share(answerable.filter((o) => o.escalated).length, answerable.length),
      answerableLowRetrieval: share(
        answerable.filter((o) => o.reasons.includes('low_retrieval')).length,
        answerable.length,
      ),
      outOfKbEscalated: share(outOfKb.filter((o) => o.escalated).length, outOfKb.length),
      mustEscalateEscalated: share(must.filter((o) => o.escalated).length, must.length),
      mustEscalateExpectedCategory: share(
        must.filter((o) => o.reasons.includes(`keyword:${byId.get(o.id)?.escalation}`)).length,
        must.length,
      ),
    },
    confidence: {
      aurocRaw: r4(auroc(outcomes.map((o) => ({ score: o.confidenceRaw, right: o.right })))),
      auroc: r4(auroc(outcomes.map((o) => ({ score: o.confidence, right: o.right })))),
      ece: r4(ece(scored)),
      brier: r4(brier(scored)),
      meanConfidence: r4(outcomes.reduce((s, o) => s + o.confidence, 0) / Math.max(1, outcomes.length)),
      rightRate: share(outcomes.filter((o) => o.right).length, outcomes.length),
      reliability: reliability(scored).map((b) => ({
        ...b,
        meanConfidence: r4(b.meanConfidence),
        accuracy: r4(b.accuracy),
      })),
    },
    language: {
      detected: share(outcomes.filter((o) => o.detectedLanguage === o.language).length, outcomes.length),
      nonEnglish: nonEnglish.length,
    },
  }
}

/** A reliability diagram of one round as a standalone SVG (shared/calibration/reliability-svg.ts). */
export function reliabilitySvg(bins: readonly ReliabilityBin[], title: string): string {
  return reliabilityDiagram([{ label: title, bins }])
}
