/**
 * A desk's own calibration (issue 28), fitted on labelled samples of its tickets: shadow drafts of its
 * history (a replay) and the drafts its agents reviewed (live). Pure; shared/calibration/ stores the result
 * and the evaluation harness's desk simulation (eval/desk.ts) fits with the same function.
 *
 * What is fitted (the minimum source score stays the one in force: it decides what the drafter is shown):
 * - the low-retrieval cut-offs (similarity, knowledge coverage), with {@link jointCutForBudget}, to the
 *   tenant's budget of answerable tickets escalated for low retrieval: the in-sample budget is the largest
 *   whose cross-validated rate keeps the budget ({@link budgetHoldingOutOfSample});
 * - the confidence map, by isotonic regression of "usable" on the raw confidence points.
 *
 * How it is judged: by k-fold cross-validation only. The cut-offs' rates are nested (each outer fold judged
 * by a pair whose budget and cut-offs were chosen on the other folds), the map's ECE and Brier by a map fitted
 * without the fold. The calibration in force is judged on the same samples (it was not fitted on them, or,
 * for an earlier fit of this tenant, partly was, which only favours keeping it).
 *
 * When it is adopted: only when the sample is large enough ({@link MIN_SAMPLES}) and, part by part, a part
 * of the fit beats the one in force out of sample; the calibration adopted takes the better part of each:
 * - cut-offs: a pair that keeps the budget beats one that does not; of two that keep it, the one catching
 *   more unanswerable tickets, or as many with fewer answerable ones escalated; of two that do not, the one
 *   escalating fewer answerable tickets (the budget is what a desk asked for);
 * - confidence map: a cross-validated ECE lower by at least {@link ECE_MARGIN}.
 * Otherwise the one in force stays, and the reason says why.
 */
import type { Calibration, ReliabilityBin } from './calibration.ts'
import {
  brier,
  budgetHoldingOutOfSample,
  crossValidated,
  ece,
  escalatedBy,
  fitIsotonic,
  type JointPoint,
  jointCutForBudget,
  nestedCrossValidatedCut,
  percentBins,
  readMap,
  type Scored,
} from './fit-metrics.ts'

/** Default share of answerable tickets the cut-offs may escalate (a tenant setting can change it). */
export const DEFAULT_BUDGET = 0.1
/** Folds of every cross-validation. */
const FOLDS = 5
/**
 * Labelled samples a fit needs before it may be adopted: answerable and unanswerable ones for the cut-offs
 * (each fold of the nested cross-validation must hold a few of both), decided ones for the map.
 * @internal
 */
export const MIN_SAMPLES = { answerable: 20, unanswerable: 10, confidence: 30 } as const
/**
 * Pseudo-observations each step of the confidence map is shrunk with towards the overall rate: a desk's
 * history is a few hundred tickets at most, and steps of a handful of drafts overfit (cross-validated ECE on
 * the eval set's desk simulation: 0.11 with 1, 0.06 with 3).
 */
const PRIOR = 3
/** How much lower the cross-validated ECE of a fitted map must be to replace the map in force. */
const ECE_MARGIN = 0.01

/** One labelled sample: a shadow (or live) draft's signals and its labels (shared/trust/labels.ts). */
export interface FitSample {
  /** Best retrieval similarity; null when nothing was retrieved (always escalated). */
  sim: number | null
  /** Knowledge coverage; null when not measured (the check does not apply). */
  cov: number | null
  /** Escalated for low retrieval whatever the cut-offs (unmentioned terms). */
  unmentioned: boolean
  /** Escalated for another reason (keyword, language, no answer, urgent): caught whatever the cut-offs. */
  otherReason: boolean
  answerable: boolean | null
  usable: boolean | null
  /** Raw confidence points (0..100). */
  raw: number
}

/** What a calibration escalates of answerable and unanswerable samples, and how its map calibrates. */
interface FitFigures {
  answerableEscalated: number | null
  unanswerableCaught: number | null
  ece: number | null
  brier: number | null
}

export interface FitResult {
  /** The fitted cut-offs and map (before the adoption rule picks parts). */
  fitted: Pick<Calibration, 'lowRetrievalThreshold' | 'minCoverage' | 'confidenceMap'> & {
    inSampleBudget: number
  }
  /** What the calibration adopted would be: the better part of each (equal to the current one if none). */
  adopted: Pick<Calibration, 'lowRetrievalThreshold' | 'minCoverage' | 'confidenceMap'>
  /** Cross-validated figures of the fit, and of the calibration in force on the same samples. */
  crossValidated: FitFigures & { reliability: ReliabilityBin[] }
  current: FitFigures & { reliability: ReliabilityBin[] }
  samples: { total: number; answerable: number; unanswerable: number; undecided: number; confidence: number }
  budget: number
  adopt: boolean
  parts: { cutoffs: boolean; map: boolean }
  reason: string
}

const r4 = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000)

const point = (s: FitSample, caughtAnyway: boolean): JointPoint => ({
  sim: s.sim ?? 0,
  cov: s.cov ?? 1,
  fixed: s.sim === null || s.unmentioned || (caughtAnyway && s.otherReason),
})

/** The samples' escalation points: answerable ones (kept) and unanswerable ones (to escalate). */
function escalationPoints(samples: readonly FitSample[]): {
  keep: JointPoint[]
  escalate: JointPoint[]
} {
  return {
    keep: samples.filter((s) => s.answerable === true).map((s) => point(s, false)),
    escalate: samples.filter((s) => s.answerable === false).map((s) => point(s, true)),
  }
}

/** Rates of fixed cut-offs on points: what a calibration not fitted on them escalates. */
function rates(
  keep: readonly JointPoint[],
  escalate: readonly JointPoint[],
  cut: { lowRetrievalThreshold: number; minCoverage: number },
): { answerableEscalated: number | null; unanswerableCaught: number | null } {
  const share = (xs: readonly JointPoint[]) =>
    xs.length === 0
      ? null
      : xs.filter((x) => escalatedBy(x, cut.lowRetrievalThreshold, cut.minCoverage)).length / xs.length
  return { answerableEscalated: share(keep), unanswerableCaught: share(escalate) }
}

/** Whether cut-offs with rates `a` beat those with rates `b` under `budget` (see the module comment). */
function cutoffsBeat(
  a: { answerableEscalated: number | null; unanswerableCaught: number | null },
  b: { answerableEscalated: number | null; unanswerableCaught: number | null },
  budget: number,
): boolean {
  if (a.answerableEscalated === null || b.answerableEscalated === null) return false
  const eps = 1e-9
  const aKeeps = a.answerableEscalated <= budget + eps
  const bKeeps = b.answerableEscalated <= budget + eps
  const aCaught = a.unanswerableCaught ?? 0
  const bCaught = b.unanswerableCaught ?? 0
  if (aKeeps !== bKeeps) return aKeeps
  if (aKeeps)
    return (
      aCaught > bCaught + eps ||
      (aCaught >= bCaught - eps && a.answerableEscalated < b.answerableEscalated - eps)
    )
  return a.answerableEscalated < b.answerableEscalated - eps
}

const roundMap = (map: ReadonlyArray<readonly [number, number]>): Array<[number, number]> =>
  map.map(([x, p]) => [Math.round(x * 100) / 100, Math.round(p * 1000) / 1000])

/**
 * Fits cut-offs and a confidence map on `samples`, judges both against `current` by cross-validation, and
 * decides what to adopt (module comment). Deterministic: folds are index mod k in the samples' order.
 */
export function fitCalibration(
  samples: readonly FitSample[],
  current: Pick<Calibration, 'lowRetrievalThreshold' | 'minCoverage' | 'confidenceMap'>,
  options: { budget?: number; k?: number } = {},
): FitResult {
  const budget = options.budget ?? DEFAULT_BUDGET
  const k = options.k ?? FOLDS
  const { keep, escalate } = escalationPoints(samples)
  const decided = samples
    .filter((s) => s.usable !== null)
    .map((s) => ({ x: s.raw, right: s.usable === true }))
  const held = budgetHoldingOutOfSample(keep, escalate, budget, k)
  const inSampleBudget = held?.inSample ?? 0
  const cut = jointCutForBudget(keep, escalate, inSampleBudget)
  const fittedCut = cut
    ? { lowRetrievalThreshold: cut.threshold, minCoverage: cut.minCoverage }
    : { lowRetrievalThreshold: current.lowRetrievalThreshold, minCoverage: current.minCoverage }
  const map = decided.length > 0 ? roundMap(fitIsotonic(decided, PRIOR)) : roundMap(current.confidenceMap)

  const nested = nestedCrossValidatedCut(keep, escalate, budget, k)
  const cvScored = decided.length >= k ? crossValidated(decided, k, PRIOR) : []
  const currentScored: Scored[] = decided.map((d) => ({
    p: readMap(current.confidenceMap, d.x),
    right: d.right,
  }))
  const currentRates = rates(keep, escalate, current)
  const cvFigures = {
    answerableEscalated: r4(nested?.keepEscalated ?? null),
    unanswerableCaught: r4(nested?.escalateCaught ?? null),
    ece: r4(ece(cvScored)),
    brier: r4(brier(cvScored)),
    reliability: percentBins(cvScored),
  }
  const currentFigures = {
    answerableEscalated: r4(currentRates.answerableEscalated),
    unanswerableCaught: r4(currentRates.unanswerableCaught),
    ece: r4(ece(currentScored)),
    brier: r4(brier(currentScored)),
    reliability: percentBins(currentScored),
  }
  const sizes = {
    total: samples.length,
    answerable: keep.length,
    unanswerable: escalate.length,
    undecided: samples.filter((s) => s.answerable === null).length,
    confidence: decided.length,
  }
  const verdict = decide(sizes, cvFigures, currentFigures, budget)
  return {
    fitted: { ...fittedCut, confidenceMap: map, inSampleBudget: r4(inSampleBudget)! },
    adopted: {
      ...(verdict.parts.cutoffs
        ? fittedCut
        : { lowRetrievalThreshold: current.lowRetrievalThreshold, minCoverage: current.minCoverage }),
      confidenceMap: verdict.parts.map ? map : roundMap(current.confidenceMap),
    },
    crossValidated: cvFigures,
    current: currentFigures,
    samples: sizes,
    budget,
    ...verdict,
  }
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`)
const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3))

/** The adoption rule of the module comment, with the reason in words. */
function decide(
  sizes: FitResult['samples'],
  fit: FitFigures,
  current: FitFigures,
  budget: number,
): Pick<FitResult, 'adopt' | 'parts' | 'reason'> {
  const short: string[] = []
  if (sizes.answerable < MIN_SAMPLES.answerable)
    short.push(`${sizes.answerable} answerable (need ${MIN_SAMPLES.answerable})`)
  if (sizes.unanswerable < MIN_SAMPLES.unanswerable)
    short.push(`${sizes.unanswerable} unanswerable (need ${MIN_SAMPLES.unanswerable})`)
  if (sizes.confidence < MIN_SAMPLES.confidence)
    short.push(`${sizes.confidence} with a usable label (need ${MIN_SAMPLES.confidence})`)
  if (short.length > 0) {
    return {
      adopt: false,
      parts: { cutoffs: false, map: false },
      reason: `not adopted: too few labelled samples: ${short.join(', ')}`,
    }
  }
  const cutoffs = cutoffsBeat(fit, current, budget)
  const map = fit.ece !== null && current.ece !== null && fit.ece < current.ece - ECE_MARGIN
  const said = [
    `cut-offs ${cutoffs ? 'adopted' : 'kept'}: cross-validated ${pct(fit.answerableEscalated)} of answerable tickets escalated and ${pct(fit.unanswerableCaught)} of unanswerable ones caught, against ${pct(current.answerableEscalated)} and ${pct(current.unanswerableCaught)} by the cut-offs in force (budget ${pct(budget)})`,
    `confidence map ${map ? 'adopted' : 'kept'}: cross-validated ECE ${num(fit.ece)} against ${num(current.ece)} in force`,
  ]
  return {
    adopt: cutoffs || map,
    parts: { cutoffs, map },
    reason: `${cutoffs || map ? 'adopted' : 'not adopted: it does not beat the calibration in force out of sample'}; ${said.join('; ')}`,
  }
}
