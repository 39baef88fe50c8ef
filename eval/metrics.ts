/**
 * Metric functions of the evaluation harness that only the harness needs (eval/run.ts, eval/report.ts),
 * kept pure so unit tests can check each one against hand-computed figures. What the runtime fits a desk's
 * calibration with (isotonic maps, ECE, the cut-off pair for a budget and its cross-validation) lives in
 * shared/trust/fit-metrics.ts, which the harness uses too.
 */
import { cuts } from '#shared/trust/fit-metrics'

/**
 * Area under the ROC curve of `score` for separating right (positive) from wrong drafts: the chance
 * that a random right draft scores above a random wrong one, ties counting half (Mann-Whitney U).
 * Null when one of the classes is empty.
 */
export function auroc(items: ReadonlyArray<{ score: number; right: boolean }>): number | null {
  const pos = items.filter((i) => i.right).length
  const neg = items.length - pos
  if (pos === 0 || neg === 0) return null
  const sorted = [...items].sort((a, b) => a.score - b.score)
  // Average ranks over ties (1-based), then U = sum of positive ranks − pos(pos+1)/2.
  let rankSum = 0
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1]!.score === sorted[i]!.score) j++
    const rank = (i + j + 2) / 2
    for (let k = i; k <= j; k++) if (sorted[k]!.right) rankSum += rank
    i = j + 1
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}

/** Precision and recall of a binary decision against the truth. */
export function precisionRecall(items: ReadonlyArray<{ predicted: boolean; actual: boolean }>): {
  precision: number | null
  recall: number | null
  tp: number
  fp: number
  fn: number
  tn: number
} {
  const tp = items.filter((i) => i.predicted && i.actual).length
  const fp = items.filter((i) => i.predicted && !i.actual).length
  const fn = items.filter((i) => !i.predicted && i.actual).length
  const tn = items.length - tp - fp - fn
  return {
    precision: tp + fp > 0 ? tp / (tp + fp) : null,
    recall: tp + fn > 0 ? tp / (tp + fn) : null,
    tp,
    fp,
    fn,
    tn,
  }
}

/** How many of each group a low-retrieval threshold escalates. */
export interface ThresholdPoint {
  threshold: number
  /** Share of `keep` (answerable) scores below the threshold: escalated although the KB answers them. */
  keepEscalated: number
  /** Share of `escalate` (out-of-KB) scores below the threshold: rightly escalated. */
  escalateCaught: number
}

/** Every candidate threshold with its two rates, ascending: the trade-off an operator chooses from. */
export function thresholdCurve(keep: readonly number[], escalate: readonly number[]): ThresholdPoint[] {
  if (keep.length === 0 || escalate.length === 0) return []
  return cuts([...keep, ...escalate]).map((threshold) => ({
    threshold,
    keepEscalated: keep.filter((s) => s < threshold).length / keep.length,
    escalateCaught: escalate.filter((s) => s < threshold).length / escalate.length,
  }))
}

/**
 * The low-retrieval threshold to ship: the highest one that escalates at most `maxKeepEscalated` of the
 * tickets the knowledge base answers (so the flag keeps meaning something), which catches as many
 * out-of-KB tickets as that budget allows. Null without data.
 */
export function thresholdForBudget(
  keep: readonly number[],
  escalate: readonly number[],
  maxKeepEscalated: number,
): ThresholdPoint | null {
  const within = thresholdCurve(keep, escalate).filter((p) => p.keepEscalated <= maxKeepEscalated + 1e-12)
  return within.at(-1) ?? null
}

/** Folds text for fact matching: lower-case, accents dropped, whitespace collapsed. */
export function foldForMatch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
}

/** Which of the answer facts a reply contains (folded substring match). */
export function factsFound(reply: string, facts: readonly string[]): { found: string[]; missing: string[] } {
  const r = foldForMatch(reply)
  const found = facts.filter((f) => r.includes(foldForMatch(f)))
  return { found, missing: facts.filter((f) => !found.includes(f)) }
}
