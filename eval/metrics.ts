/**
 * Metric functions of the evaluation harness (eval/run.ts), kept pure so unit tests can check each one
 * against hand-computed figures. Written here rather than taken from a statistics package: each is a few
 * lines (AUROC by rank sums, Brier, ECE, pool-adjacent-violators), and the registry's options either
 * lack isotonic regression or bring a whole numerics library for it.
 */
import type { ReliabilityBin } from '#shared/trust/calibration'

export type { ReliabilityBin }

/** One prediction: a probability (0..1) and whether the draft was right. */
export interface Scored {
  p: number
  right: boolean
}

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

/** Brier score: mean squared difference between probability and outcome (0 best, 0.25 = coin flip). */
export function brier(items: readonly Scored[]): number | null {
  if (items.length === 0) return null
  return items.reduce((sum, i) => sum + (i.p - (i.right ? 1 : 0)) ** 2, 0) / items.length
}

/**
 * Equal-width bins over 0..1 (the last one closed); `bins` = 10 gives [0, 0.1) … [0.9, 1]. The bins are
 * the shape stored in a calibration entry, on the 0..1 scale of the predictions here; eval/run.ts converts
 * them to the entry's 0..100 when it writes one.
 */
export function reliability(items: readonly Scored[], bins = 10): ReliabilityBin[] {
  return Array.from({ length: bins }, (_, b) => {
    const min = b / bins
    const max = (b + 1) / bins
    const inBin = items.filter((i) => {
      const idx = Math.min(bins - 1, Math.floor(i.p * bins))
      return idx === b
    })
    const n = inBin.length
    return {
      bucket: `${Math.round(min * 100)}-${Math.round(max * 100)}`,
      min,
      max,
      drafts: n,
      meanConfidence: n ? inBin.reduce((s, i) => s + i.p, 0) / n : null,
      accuracy: n ? inBin.filter((i) => i.right).length / n : null,
    }
  })
}

/** Expected calibration error: Σ (n_bin / n) × |accuracy − mean confidence| over non-empty bins. */
export function ece(items: readonly Scored[], bins = 10): number | null {
  if (items.length === 0) return null
  return reliability(items, bins).reduce(
    (sum, b) => sum + (b.drafts / items.length) * Math.abs((b.accuracy ?? 0) - (b.meanConfidence ?? 0)),
    0,
  )
}

/** A monotone map as breakpoints `[x, p]`, x ascending, p non-decreasing. */
export type MonotoneMap = Array<[number, number]>

/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step function of `x` closest (least
 * squares) to the outcomes. Each pooled block becomes one breakpoint at its mean x with its mean outcome,
 * shrunk towards the overall rate by `prior` pseudo-observations, so a block of three right drafts does
 * not claim certainty. The map is then read with linear interpolation between breakpoints
 * (shared/trust/calibration.ts `calibrateConfidence`), which keeps it monotone.
 */
export function fitIsotonic(points: ReadonlyArray<{ x: number; right: boolean }>, prior = 1): MonotoneMap {
  if (points.length === 0) return []
  const base = points.filter((p) => p.right).length / points.length
  const sorted = [...points].sort((a, b) => a.x - b.x)
  // Blocks of equal x start pooled: a step function cannot separate them.
  const blocks: Array<{ sumX: number; sumY: number; n: number }> = []
  for (const p of sorted) {
    const last = blocks.at(-1)
    if (last && last.sumX / last.n === p.x) {
      last.sumX += p.x
      last.sumY += p.right ? 1 : 0
      last.n++
    } else blocks.push({ sumX: p.x, sumY: p.right ? 1 : 0, n: 1 })
    while (blocks.length > 1) {
      const b = blocks.at(-1)!
      const a = blocks.at(-2)!
      if (a.sumY / a.n <= b.sumY / b.n) break
      blocks.splice(-2, 2, { sumX: a.sumX + b.sumX, sumY: a.sumY + b.sumY, n: a.n + b.n })
    }
  }
  // Shrinking blocks of different sizes can reorder neighbours; a running maximum restores monotonicity.
  let floor = 0
  return blocks.map((b) => {
    floor = Math.max(floor, (b.sumY + prior * base) / (b.n + prior))
    return [b.sumX / b.n, floor]
  })
}

/** Reads a monotone map at `x` (linear between breakpoints, flat beyond the ends), as production does. */
export function readMap(map: MonotoneMap, x: number): number {
  if (map.length === 0) return 0
  if (x <= map[0]![0]) return map[0]![1]
  if (x >= map.at(-1)![0]) return map.at(-1)![1]
  const i = map.findIndex(([bx]) => bx >= x)
  const [x0, y0] = map[i - 1]!
  const [x1, y1] = map[i]!
  return x1 === x0 ? y1 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0)
}

/**
 * Out-of-sample probabilities by k-fold cross-validation: each item is predicted by an isotonic map
 * fitted without its fold (fold = index mod k, so it is deterministic). An honest estimate of how
 * the map calibrates drafts it has not seen; the in-sample fit is optimistic by construction.
 */
export function crossValidated(
  points: ReadonlyArray<{ x: number; right: boolean }>,
  k = 5,
  prior = 1,
): Scored[] {
  return points.map((p, i) => {
    const train = points.filter((_, j) => j % k !== i % k)
    return { p: readMap(fitIsotonic(train, prior), p.x), right: p.right }
  })
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

/** Candidate cuts: midway between adjacent observed scores, floored to 3 decimals. */
function cuts(values: readonly number[]): number[] {
  const v = [...new Set(values)].sort((a, b) => a - b)
  const mids = v.slice(1).map((x, i) => Math.floor(((x + v[i]!) / 2) * 1000) / 1000)
  return [...new Set([0, ...mids])]
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

/** A (similarity, coverage) pair of low-retrieval cut-offs and what it escalates. */
export interface JointCut {
  threshold: number
  minCoverage: number
  keepEscalated: number
  escalateCaught: number
}

/** One ticket for {@link jointCutForBudget}: its best similarity and coverage. */
export interface JointPoint {
  sim: number
  cov: number
  /** Escalated for low retrieval whatever the cut-offs (unmentioned terms, shared/trust/unmentioned.ts). */
  fixed?: boolean
}

/** Whether the cut-offs escalate `x`: a fixed ticket always, else one below either cut-off. */
const escalatedBy = (x: JointPoint, threshold: number, minCoverage: number) =>
  x.fixed || x.sim < threshold || x.cov < minCoverage

/**
 * The two low-retrieval cut-offs to ship together: a ticket escalates when its best similarity is below
 * `threshold` or its knowledge coverage below `minCoverage`. Of the pairs that escalate at most
 * `maxKeepEscalated` of the answerable tickets, the one catching the most out-of-KB tickets; ties go to
 * the lower coverage cut-off, then the higher similarity one (the least reliance on coverage). Null without data.
 */
export function jointCutForBudget(
  keep: ReadonlyArray<JointPoint>,
  escalate: ReadonlyArray<JointPoint>,
  maxKeepEscalated: number,
): JointCut | null {
  if (keep.length === 0 || escalate.length === 0) return null
  const all = [...keep, ...escalate]
  const sims = cuts(all.map((x) => x.sim))
  const covs = cuts(all.map((x) => x.cov))
  const rate = (xs: typeof keep, t: number, c: number) =>
    xs.filter((x) => escalatedBy(x, t, c)).length / xs.length
  let best: JointCut | null = null
  for (const minCoverage of covs) {
    for (const threshold of sims) {
      const keepEscalated = rate(keep, threshold, minCoverage)
      if (keepEscalated > maxKeepEscalated + 1e-12) continue
      const escalateCaught = rate(escalate, threshold, minCoverage)
      if (
        !best ||
        escalateCaught > best.escalateCaught + 1e-12 ||
        (Math.abs(escalateCaught - best.escalateCaught) <= 1e-12 &&
          minCoverage === best.minCoverage &&
          threshold > best.threshold)
      )
        best = { threshold, minCoverage, keepEscalated, escalateCaught }
    }
  }
  return best
}

/** What a cut-off pair escalates of tickets it was not fitted on; see {@link crossValidatedCut}. */
export interface CrossValidatedCut {
  keepEscalated: number
  escalateCaught: number
}

/**
 * Out-of-sample rates of {@link jointCutForBudget} by k-fold cross-validation: each ticket is judged by the
 * pair fitted without its fold (fold = index mod k within its group, so it is deterministic). With a few
 * dozen tickets per group the in-sample pair is fitted to the very tickets it is judged on, and the share
 * of answerable tickets it escalates on new ones is what an operator's budget is really about. Null
 * without data.
 */
export function crossValidatedCut(
  keep: ReadonlyArray<JointPoint>,
  escalate: ReadonlyArray<JointPoint>,
  maxKeepEscalated: number,
  k = 5,
): CrossValidatedCut | null {
  if (keep.length === 0 || escalate.length === 0) return null
  const escalated = (x: JointPoint, cut: JointCut) => escalatedBy(x, cut.threshold, cut.minCoverage)
  let keepHit = 0
  let escalateHit = 0
  for (let fold = 0; fold < k; fold++) {
    const outside = <T>(xs: readonly T[]) => xs.filter((_, i) => i % k !== fold)
    const inside = <T>(xs: readonly T[]) => xs.filter((_, i) => i % k === fold)
    const cut = jointCutForBudget(outside(keep), outside(escalate), maxKeepEscalated)
    if (!cut) return null
    keepHit += inside(keep).filter((x) => escalated(x, cut)).length
    escalateHit += inside(escalate).filter((x) => escalated(x, cut)).length
  }
  return { keepEscalated: keepHit / keep.length, escalateCaught: escalateHit / escalate.length }
}

/**
 * The in-sample budget to fit {@link jointCutForBudget} with so that the budget holds on tickets the pair
 * was not fitted on: the largest share of the answerable tickets (in steps of one ticket, from `target`
 * down) whose {@link crossValidatedCut} escalates at most `target` of them. Fitted at `target` itself, the
 * pair sits on the in-sample edge of the budget, and new tickets overshoot it. Null without data.
 */
export function budgetHoldingOutOfSample(
  keep: ReadonlyArray<JointPoint>,
  escalate: ReadonlyArray<JointPoint>,
  target: number,
  k = 5,
): { inSample: number; crossValidated: CrossValidatedCut } | null {
  if (keep.length === 0 || escalate.length === 0) return null
  for (let n = Math.floor(target * keep.length + 1e-9); n >= 0; n--) {
    const inSample = n / keep.length
    const crossValidated = crossValidatedCut(keep, escalate, inSample, k)
    if (crossValidated && crossValidated.keepEscalated <= target + 1e-12) return { inSample, crossValidated }
  }
  return null
}
