/**
 * The statistics a calibration is fitted and judged with, shared by the runtime (a desk's own calibration,
 * shared/trust/fit.ts) and the evaluation harness (eval/): reliability bins, expected calibration error,
 * Brier score, isotonic regression, and the low-retrieval cut-off pair for a budget with its
 * cross-validated rates. Written here rather than taken from a statistics package: each is a few lines, and
 * the registry's options either lack isotonic regression or bring a whole numerics library for it.
 */
import type { ReliabilityBin } from './calibration.ts'

/** One prediction: a probability (0..1) and whether the draft was right. */
export interface Scored {
  p: number
  right: boolean
}

/** Brier score: mean squared difference between probability and outcome (0 best, 0.25 = coin flip). */
export function brier(items: readonly Scored[]): number | null {
  if (items.length === 0) return null
  return items.reduce((sum, i) => sum + (i.p - (i.right ? 1 : 0)) ** 2, 0) / items.length
}

/**
 * Equal-width bins over 0..1 (the last one closed); `bins` = 10 gives [0, 0.1) … [0.9, 1], on the 0..1
 * scale of the predictions (a stored calibration keeps them on 0..100: {@link percentBins}).
 * @internal
 */
export function reliability(items: readonly Scored[], bins = 10): ReliabilityBin[] {
  return Array.from({ length: bins }, (_, b) => {
    const min = b / bins
    const max = (b + 1) / bins
    const inBin = items.filter((i) => Math.min(bins - 1, Math.floor(i.p * bins)) === b)
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

/** {@link reliability} on the 0..100 confidence scale a calibration entry stores, rounded for display. */
export function percentBins(items: readonly Scored[]): ReliabilityBin[] {
  return reliability(items).map((b) => ({
    ...b,
    min: Math.round(b.min * 100),
    max: Math.round(b.max * 100),
    meanConfidence: b.meanConfidence === null ? null : Math.round(b.meanConfidence * 1000) / 10,
    accuracy: b.accuracy === null ? null : Math.round(b.accuracy * 10_000) / 10_000,
  }))
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
export function readMap(map: ReadonlyArray<readonly [number, number]>, x: number): number {
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
  const maps = Array.from({ length: k }, (_, fold) =>
    fitIsotonic(
      points.filter((_, j) => j % k !== fold),
      prior,
    ),
  )
  return points.map((p, i) => ({ p: readMap(maps[i % k]!, p.x), right: p.right }))
}

/**
 * Candidate cuts: midway between adjacent observed scores, floored to 3 decimals, with 0.
 * @internal
 */
export function cuts(values: readonly number[]): number[] {
  const v = [...new Set(values)].sort((a, b) => a - b)
  const mids = v.slice(1).map((x, i) => Math.floor(((x + v[i]!) / 2) * 1000) / 1000)
  return [...new Set([0, ...mids])].sort((a, b) => a - b)
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
  /** Escalated whatever the cut-offs (unmentioned terms; for an escalate point, any other reason too). */
  fixed?: boolean
}

/** Whether the cut-offs escalate `x`: a fixed ticket always, else one below either cut-off. */
export const escalatedBy = (x: JointPoint, threshold: number, minCoverage: number): boolean =>
  Boolean(x.fixed) || x.sim < threshold || x.cov < minCoverage

/** Number of sorted `values` below `t` (or at most `t`, with `orEqual`). */
function countBelow(sorted: readonly number[], t: number, orEqual = false): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! < t || (orEqual && sorted[mid] === t)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The two low-retrieval cut-offs to ship together: a ticket escalates when its best similarity is below
 * `threshold` or its knowledge coverage below `minCoverage`. Of the pairs (candidate cuts of both) that
 * escalate at most `maxKeepEscalated` of the answerable tickets, the one catching the most out-of-KB
 * tickets. Of pairs that catch as many, the similarity cut-off is the lowest (every answerable ticket it
 * spares is one fewer flagged on new tickets) and the coverage cut-off the highest (the widest margin above
 * the out-of-KB tickets it catches): on the eval set's desk simulation these generalised better than the
 * opposite choices (docs/evaluation.md). Answerable tickets escalated whatever the
 * cut-offs count against the budget; when they alone exceed it, the budget is taken as what they use. Null
 * without data. O(n²): for each coverage
 * cut the highest similarity cut within the budget is found by one sort and a binary search.
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
  // What no cut-off can spare (fixed points) is the floor of any budget: below it, the most lenient pair.
  const allowed = Math.max(
    Math.floor(maxKeepEscalated * keep.length + 1e-9),
    keep.filter((x) => x.fixed).length,
  )
  let best: JointCut | null = null
  for (const minCoverage of covs) {
    const split = (xs: ReadonlyArray<JointPoint>) => {
      let base = 0
      const rest: number[] = []
      for (const x of xs) {
        if (x.fixed || x.cov < minCoverage) base++
        else rest.push(x.sim)
      }
      return { base, rest: rest.sort((a, b) => a - b) }
    }
    const k = split(keep)
    const room = allowed - k.base
    if (room < 0) continue
    // The highest cut with at most `room` of the remaining answerable similarities below it.
    const limit = room < k.rest.length ? k.rest[room]! : Number.POSITIVE_INFINITY
    const at = countBelow(sims, limit, true) - 1
    if (at < 0) continue
    const e = split(escalate)
    const caught = countBelow(e.rest, sims[at]!)
    // The lowest cut catching as many: the first candidate above the highest similarity it catches.
    const threshold = caught === 0 ? sims[0]! : sims[countBelow(sims, e.rest[caught - 1]!, true)]!
    const escalateCaught = (e.base + caught) / escalate.length
    const keepEscalated = (k.base + countBelow(k.rest, threshold)) / keep.length
    // Ties go to the higher coverage cut-off (covs ascend).
    if (!best || escalateCaught >= best.escalateCaught - 1e-12)
      best = { threshold, minCoverage, keepEscalated, escalateCaught }
  }
  return best
}

/** What a cut-off pair escalates of tickets it was not fitted on; see {@link crossValidatedCut}. */
export interface CrossValidatedCut {
  keepEscalated: number
  escalateCaught: number
}

/** Items of fold `fold` of k (index mod k) and the rest. */
const folds = <T>(xs: readonly T[], k: number, fold: number) => ({
  inside: xs.filter((_, i) => i % k === fold),
  outside: xs.filter((_, i) => i % k !== fold),
})

/**
 * Out-of-sample rates of {@link jointCutForBudget} by k-fold cross-validation: each ticket is judged by the
 * pair fitted without its fold (fold = index mod k within its group, so it is deterministic). With a few
 * dozen tickets per group the in-sample pair is fitted to the very tickets it is judged on, and the share
 * of answerable tickets it escalates on new ones is what an operator's budget is really about. Null
 * without data.
 * @internal
 */
export function crossValidatedCut(
  keep: ReadonlyArray<JointPoint>,
  escalate: ReadonlyArray<JointPoint>,
  maxKeepEscalated: number,
  k = 5,
): CrossValidatedCut | null {
  if (keep.length === 0 || escalate.length === 0) return null
  let keepHit = 0
  let escalateHit = 0
  for (let fold = 0; fold < k; fold++) {
    const kf = folds(keep, k, fold)
    const ef = folds(escalate, k, fold)
    const cut = jointCutForBudget(kf.outside, ef.outside, maxKeepEscalated)
    if (!cut) return null
    const hit = (x: JointPoint) => escalatedBy(x, cut.threshold, cut.minCoverage)
    keepHit += kf.inside.filter(hit).length
    escalateHit += ef.inside.filter(hit).length
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

/**
 * Nested cross-validation of the whole cut-off procedure: for each outer fold, the in-sample budget is
 * chosen by {@link budgetHoldingOutOfSample} on the other folds alone, the pair fitted there, and the fold
 * judged by it. What a pair fitted this way escalates of tickets that took no part in fitting it, budget
 * choice included. Null without data.
 */
export function nestedCrossValidatedCut(
  keep: ReadonlyArray<JointPoint>,
  escalate: ReadonlyArray<JointPoint>,
  target: number,
  k = 5,
): CrossValidatedCut | null {
  if (keep.length < k || escalate.length < k) return null
  let keepHit = 0
  let escalateHit = 0
  for (let fold = 0; fold < k; fold++) {
    const kf = folds(keep, k, fold)
    const ef = folds(escalate, k, fold)
    const held = budgetHoldingOutOfSample(kf.outside, ef.outside, target, k)
    const cut = jointCutForBudget(kf.outside, ef.outside, held?.inSample ?? 0)
    if (!cut) return null
    const hit = (x: JointPoint) => escalatedBy(x, cut.threshold, cut.minCoverage)
    keepHit += kf.inside.filter(hit).length
    escalateHit += ef.inside.filter(hit).length
  }
  return { keepEscalated: keepHit / keep.length, escalateCaught: escalateHit / escalate.length }
}
