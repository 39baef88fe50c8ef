/**
 * The desk simulation of `npm run eval` (issue 28, item 7): what a desk that replays part of its history
 * gets on the tickets that come after.
 *
 * Every ticket of the set is drafted in shadow through the real pipeline (`previewDraft`, nothing stored)
 * and labelled against its `staffReply` with the rules a real replay uses (shared/calibration/labelling.ts,
 * shared/trust/labels.ts): the hand labels are never shown to the fit. Then, for each of `splits` seeded
 * splits, the desk's "history" (a share `historyShare` of every hand label, so each split has some of each)
 * is fitted with the runtime's own fit and adoption rule (shared/trust/fit.ts), starting from a desk with no
 * calibration for its scoring space (the fallback's cut-offs and the raw points as confidence; the shadow
 * drafts themselves are made with the built-in entry's minimum source score, so they are the drafts the
 * desk sees). The calibration the desk then has in force is judged on the rest against the hand labels:
 * - answerable escalated for low retrieval: hand-answerable tickets the cut-offs (or unmentioned terms)
 *   escalate;
 * - out-of-KB caught: out-of-KB tickets escalated for any reason;
 * - ECE of the calibrated confidence against "right" (eval/report.ts).
 * The judged predictions of all splits are pooled (every split judges the same number of tickets of each
 * label, so the rates are the splits' mean; ECE over ~30 tickets in ten bins is inflated by noise, pooled
 * it is the usual cross-validated estimate); the per-split figures are kept too. No ticket is ever judged by
 * a fit it took part in, nor by the built-in entry, which was fitted on this set: that one is reported beside
 * it for comparison only (in sample). The labels' agreement with the hand labels is reported over the set.
 */
import { labelDraft } from '#shared/calibration/labelling'
import { previewDraft } from '#shared/drafts/preview'
import type { DraftDeps } from '#shared/drafts/types'
import type { Calibration } from '#shared/trust/calibration'
import { type FitSample, fitCalibration } from '#shared/trust/fit'
import { ece, escalatedBy, readMap } from '#shared/trust/fit-metrics'
import { factsFound } from './metrics.ts'
import type { EvalTicket, Label } from './report.ts'

/** One ticket drafted in shadow: its signals, its rule labels and its hand truth. */
export interface DeskTicket {
  id: string
  label: Label
  sample: FitSample
  /** Hand truth of "right" (eval/report.ts): answerable, cites the expected article, has every answer fact. */
  right: boolean
}

/** The judged figures of one calibration on the judged part of a split. */
interface Judged {
  answerableLowRetrieval: number | null
  outOfKbCaught: number | null
  ece: number | null
}

/** What one judgement counted, so splits can be pooled. */
interface Counts {
  answerable: number
  answerableEscalated: number
  outOfKb: number
  outOfKbCaught: number
  scored: Array<{ p: number; right: boolean }>
}

export interface DeskReport {
  splits: number
  historyShare: number
  budget: number
  /** Agreement of the rule labels with the hand labels, over every ticket the rules decided. */
  labels: {
    answerable: { decided: number; agree: number; undecided: number }
    usable: { decided: number; agree: number; undecided: number }
  }
  /** The calibration each split's desk has in force after its replay, judged on its other tickets (pooled). */
  desk: Judged & { adoptedSplits: number }
  /** The built-in entry on the same judged parts (pooled; in sample: it was fitted on this set). */
  builtin: Judged
  perSplit: Array<{ seed: number; adopted: boolean; reason: string; desk: Judged; builtin: Judged }>
  tickets: DeskTicket[]
}

type Cut = Pick<Calibration, 'lowRetrievalThreshold' | 'minCoverage' | 'confidenceMap'>

/** Drafts and labels every ticket in shadow for `tenantId` (whose KB holds the set's articles). */
export async function shadowTickets(
  deps: DraftDeps,
  tenantId: number,
  tickets: readonly EvalTicket[],
  slugByArticle: ReadonlyMap<number, string>,
): Promise<DeskTicket[]> {
  const out: DeskTicket[] = []
  for (const t of tickets) {
    const preview = await previewDraft(deps, tenantId, {
      question: t.content,
      subject: t.subject,
      priority: t.priority,
    })
    const { ranking, verified } = preview.stages
    const labels = await labelDraft(deps.sql, {
      tenantId,
      question: `${t.subject}\n${t.content}`,
      staffReply: t.staffReply,
      draft: preview.reply,
      sourceChunkIds: ranking.shown.map((s) => s.id),
      noAnswer: verified.noAnswer,
    })
    const cited = preview.sources
      .filter((s) => s.cited && s.articleId !== null)
      .map((s) => slugByArticle.get(s.articleId!))
    out.push({
      id: t.id,
      label: t.label,
      sample: {
        sim: preview.stages.scores.bestRetrievalScore,
        cov: ranking.coverage,
        unmentioned: ranking.unmentioned.length > 0,
        otherReason: preview.escalationReasons.some((r) => r.code !== 'low_retrieval'),
        answerable: labels.answerable,
        usable: labels.usable,
        raw: preview.confidenceRaw,
      },
      right:
        t.label === 'answerable' &&
        t.article !== null &&
        cited.includes(t.article) &&
        factsFound(preview.reply, t.answerFacts).missing.length === 0,
    })
  }
  return out
}

/** A deterministic shuffle (mulberry32) for seeded splits. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  let a = seed >>> 0
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...xs]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** History and judged parts of one split: `share` of each hand label goes to history. */
function split(tickets: readonly DeskTicket[], share: number, seed: number) {
  const history: DeskTicket[] = []
  const judged: DeskTicket[] = []
  for (const label of ['answerable', 'out_of_kb', 'must_escalate'] as const) {
    const group = shuffled(
      tickets.filter((t) => t.label === label),
      seed * 31 + label.length,
    )
    const n = Math.round(group.length * share)
    history.push(...group.slice(0, n))
    judged.push(...group.slice(n))
  }
  // The fit's folds follow the samples' order: a desk's history is in no particular order either.
  return { history: shuffled(history, seed), judged }
}

/** What a calibration does to tickets with hand labels. */
function count(tickets: readonly DeskTicket[], cut: Cut): Counts {
  const escalated = (t: DeskTicket) =>
    t.sample.sim === null ||
    t.sample.unmentioned ||
    escalatedBy({ sim: t.sample.sim, cov: t.sample.cov ?? 1 }, cut.lowRetrievalThreshold, cut.minCoverage)
  const answerable = tickets.filter((t) => t.label === 'answerable')
  const outOfKb = tickets.filter((t) => t.label === 'out_of_kb')
  return {
    answerable: answerable.length,
    answerableEscalated: answerable.filter(escalated).length,
    outOfKb: outOfKb.length,
    outOfKbCaught: outOfKb.filter((t) => escalated(t) || t.sample.otherReason).length,
    scored: tickets.map((t) => ({ p: readMap(cut.confidenceMap, t.sample.raw), right: t.right })),
  }
}

const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000)

/** The figures of one or more judgements taken together. */
function figures(counts: readonly Counts[]): Judged {
  const sum = (f: (c: Counts) => number) => counts.reduce((s, c) => s + f(c), 0)
  const share = (n: number, d: number) => (d === 0 ? null : r4(n / d))
  return {
    answerableLowRetrieval: share(
      sum((c) => c.answerableEscalated),
      sum((c) => c.answerable),
    ),
    outOfKbCaught: share(
      sum((c) => c.outOfKbCaught),
      sum((c) => c.outOfKb),
    ),
    ece: r4(ece(counts.flatMap((c) => c.scored))),
  }
}

/** Agreement of the rule labels with the hand labels (answerable vs. the rest; usable vs. right). */
function agreement(tickets: readonly DeskTicket[]): DeskReport['labels'] {
  const count = (pick: (t: DeskTicket) => boolean | null, truth: (t: DeskTicket) => boolean) => {
    const decided = tickets.filter((t) => pick(t) !== null)
    return {
      decided: decided.length,
      agree: decided.filter((t) => pick(t) === truth(t)).length,
      undecided: tickets.length - decided.length,
    }
  }
  return {
    answerable: count(
      (t) => t.sample.answerable,
      (t) => t.label === 'answerable',
    ),
    usable: count(
      (t) => t.sample.usable,
      (t) => t.right,
    ),
  }
}

/** A desk with no calibration for its space: the fallback's 0.5 cut-off and the raw points as confidence. */
export const UNCALIBRATED: Cut = {
  lowRetrievalThreshold: 0.5,
  minCoverage: 0,
  confidenceMap: [
    [0, 0],
    [100, 1],
  ],
}

/** The desk simulation over `splits` seeded splits; see the module comment. */
export function simulateDesk(
  tickets: readonly DeskTicket[],
  builtin: Cut,
  options: { splits?: number; historyShare?: number; budget?: number; start?: Cut } = {},
): DeskReport {
  const splits = options.splits ?? 10
  const historyShare = options.historyShare ?? 2 / 3
  const start = options.start ?? UNCALIBRATED
  const perSplit: DeskReport['perSplit'] = []
  const desk: Counts[] = []
  const reference: Counts[] = []
  for (let seed = 1; seed <= splits; seed++) {
    const { history, judged } = split(tickets, historyShare, seed)
    const fit = fitCalibration(
      history.map((t) => t.sample),
      start,
      { budget: options.budget },
    )
    desk.push(count(judged, fit.adopt ? fit.adopted : start))
    reference.push(count(judged, builtin))
    perSplit.push({
      seed,
      adopted: fit.adopt,
      reason: fit.reason,
      desk: figures(desk.slice(-1)),
      builtin: figures(reference.slice(-1)),
    })
  }
  return {
    splits,
    historyShare: Math.round(historyShare * 1000) / 1000,
    budget: options.budget ?? 0.1,
    labels: agreement(tickets),
    desk: { ...figures(desk), adoptedSplits: perSplit.filter((s) => s.adopted).length },
    builtin: figures(reference),
    perSplit,
    tickets: [...tickets],
  }
}
