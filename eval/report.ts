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

/**
 * A reliability diagram as a standalone SVG: one bar per confidence bin (observed share right), the
 * diagonal of perfect calibration, and each bin's draft count. Hand-written rather than drawn with a
 * charting package: it is one chart of ten bars, and the registry's SVG chart libraries need a DOM
 * (d3, vega) or a browser to render, which `npm run eval` on a bare Node machine does not have.
 */
export function reliabilitySvg(bins: readonly ReliabilityBin[], title: string): string {
  const W = 560
  const H = 420
  const m = { left: 60, right: 20, top: 50, bottom: 60 }
  const pw = W - m.left - m.right
  const ph = H - m.top - m.bottom
  const x = (v: number) => m.left + v * pw
  const y = (v: number) => m.top + (1 - v) * ph
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ]
  for (let t = 0; t <= 10; t += 2) {
    const v = t / 10
    parts.push(
      `<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${m.left - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
      `<text x="${x(v)}" y="${H - m.bottom + 18}" text-anchor="middle">${Math.round(v * 100)}</text>`,
    )
  }
  for (const b of bins) {
    const bw = (b.max - b.min) * pw
    if (b.drafts > 0 && b.accuracy !== null) {
      parts.push(
        `<rect x="${x(b.min) + 2}" y="${y(b.accuracy)}" width="${bw - 4}" height="${y(0) - y(b.accuracy)}" fill="#4a7bd0" fill-opacity="0.8"><title>${b.bucket}: ${b.drafts} drafts, ${Math.round(b.accuracy * 100)}% right</title></rect>`,
      )
    }
    parts.push(
      `<text x="${x(b.min) + bw / 2}" y="${y(0) - 4}" text-anchor="middle" fill="${b.drafts && b.accuracy ? '#fff' : '#999'}" font-size="10">${b.drafts}</text>`,
    )
  }
  parts.push(
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#d04a4a" stroke-dasharray="6 4" stroke-width="2"/>`,
    `<rect x="${x(0)}" y="${y(1)}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 20}" text-anchor="middle">confidence bucket (%), bar label = drafts in bucket</text>`,
    `<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">observed share right</text>`,
    `<text x="${x(0) + 8}" y="${y(1) + 16}" fill="#d04a4a">dashed: perfect calibration</text>`,
    '</svg>',
  )
  return `${parts.join('\n')}\n`
}
