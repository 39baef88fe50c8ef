/**
 * Per-scoring-space calibration: the score cut-offs and the confidence mapping belong to the model that
 * produced the scores, not to the seed. A cosine of 0.35 is a strong match between hashed n-gram vectors
 * and a weak one between nomic-embed-text vectors; one 0.5 for every space escalated nearly every
 * answerable ticket with the built-in provider.
 *
 * Each entry is derived with `npm run eval` (eval/run.ts) on the shipped labelled set:
 * - `lowRetrievalThreshold`: the best retrieval relevance below which a ticket escalates for low
 *   retrieval; the report suggests the value that best separates answerable from out-of-KB tickets;
 * - `minCoverage`: the knowledge coverage (shared/trust/coverage.ts) below which a ticket escalates for low
 *   retrieval too; derived jointly with `lowRetrievalThreshold` under the same answerable budget;
 * - `minSourceScore`: the reranked score a passage needs to be shown to the model;
 * - `confidenceMap`: a monotone piecewise-linear map from the raw confidence points (0..100, the
 *   breakdown's sum) to the probability that the draft is right, fitted by isotonic regression;
 * - `evalReliability`: the eval set's reliability per confidence bucket under that map, so analytics can
 *   show it next to the live figures.
 *
 * A space without an entry (another Ollama model, a cross-encoder) gets {@link uncalibrated}: the
 * reranking config's threshold (the seed's 0.5, strict for most spaces, so more tickets escalate, never
 * fewer) and the raw points as confidence, logged once per space so an operator knows to run the eval.
 */
import { logger } from '../logger.ts'

/** Where scores come from: an embedding model, or a cross-encoder that re-scored them. */
export interface ScoreSpace {
  provider: string
  model: string
}

/**
 * One confidence bucket of a reliability diagram. Stored in an entry on the 0..100 confidence scale;
 * shared/trust/fit-metrics.ts computes the same shape on 0..1 (`reliability`) and on 0..100 (`percentBins`).
 */
export interface ReliabilityBin {
  bucket: string
  /** Bucket bounds, on the confidence scale (0..100 in an entry). */
  min: number
  max: number
  drafts: number
  /** Mean calibrated confidence of the bucket's drafts, on the same scale as `min`/`max`. */
  meanConfidence: number | null
  /** Share of the bucket's drafts that were right. */
  accuracy: number | null
}

/** A calibration entry; see the module comment. */
export interface Calibration {
  /** Stable id stored with each draft, e.g. `builtin/builtin-hash-v1@2026-12-01`. */
  id: string
  space: ScoreSpace
  calibrated: boolean
  lowRetrievalThreshold: number
  /**
   * Knowledge coverage (shared/trust/coverage.ts) below which a ticket escalates for low retrieval: the
   * best passages miss most of what the question is specifically about. 0 turns the check off.
   */
  minCoverage: number
  minSourceScore: number
  /** `[raw points, probability]` breakpoints, raw ascending, probability non-decreasing. */
  confidenceMap: ReadonlyArray<readonly [number, number]>
  evalReliability: readonly ReliabilityBin[]
  /** How the entry was made (command, date, set size), for people reading a stored draft. */
  derivedFrom: string
}

/** Calibrated spaces. Regenerate an entry with `npm run eval` and paste the `suggestedCalibration`. */
export const CALIBRATIONS: readonly Calibration[] = [
  {
    id: 'builtin/builtin-hash-v1@2026-12-02',
    space: {
      provider: 'builtin',
      model: 'builtin-hash-v1',
    },
    calibrated: true,
    // Joint cut-off (similarity or knowledge coverage, shared/trust/coverage.ts) for a 10% answerable budget:
    // 9.8% of answerable tickets escalate for low retrieval; 87.5% of out-of-KB ones escalate with the
    // language_mismatch escalation and unmentioned terms (shared/trust/unmentioned.ts), re-measured and
    // re-derived unchanged on 2026-12-06; README "Evaluation", which also has the held-out figures.
    lowRetrievalThreshold: 0.083,
    minCoverage: 0.077,
    minSourceScore: 0.083,
    confidenceMap: [
      [0, 0.022],
      [16, 0.132],
      [36.87, 0.214],
      [50.58, 0.263],
      [55, 0.408],
      [56.33, 0.566],
      [57.67, 0.566],
      [64, 0.653],
    ],
    evalReliability: [
      { bucket: '0-10', min: 0, max: 10, drafts: 11, meanConfidence: 2, accuracy: 0 },
      { bucket: '10-20', min: 10, max: 20, drafts: 16, meanConfidence: 16.6, accuracy: 0.3125 },
      { bucket: '20-30', min: 20, max: 30, drafts: 46, meanConfidence: 24.4, accuracy: 0.1957 },
      { bucket: '30-40', min: 30, max: 40, drafts: 7, meanConfidence: 33.9, accuracy: 0.2857 },
      { bucket: '40-50', min: 40, max: 50, drafts: 3, meanConfidence: 41, accuracy: 0.6667 },
      { bucket: '50-60', min: 50, max: 60, drafts: 9, meanConfidence: 55.3, accuracy: 0.5556 },
      { bucket: '60-70', min: 60, max: 70, drafts: 3, meanConfidence: 63.7, accuracy: 0.6667 },
      { bucket: '70-80', min: 70, max: 80, drafts: 0, meanConfidence: null, accuracy: null },
      { bucket: '80-90', min: 80, max: 90, drafts: 0, meanConfidence: null, accuracy: null },
      { bucket: '90-100', min: 90, max: 100, drafts: 0, meanConfidence: null, accuracy: null },
    ],
    derivedFrom: 'npm run eval, 2026-12-02, 95 tickets, 19 articles',
  },
]

/** Identity map: raw points read as a probability. */
const IDENTITY: Calibration['confidenceMap'] = [
  [0, 0],
  [100, 1],
]

const warned = new Set<string>()

/**
 * The fallback for a space without an entry: the given threshold for both cut-offs and the raw points
 * as confidence. Logged once per space and process.
 */
function uncalibrated(space: ScoreSpace, threshold: number): Calibration {
  const key = `${space.provider}/${space.model}`
  if (!warned.has(key)) {
    warned.add(key)
    logger.warn('no calibration for this scoring space; using conservative defaults', {
      space,
      lowRetrievalThreshold: threshold,
      hint: 'run `npm run eval` with this model and add its suggestedCalibration to shared/trust/calibration.ts',
    })
  }
  return {
    id: `${key}@uncalibrated`,
    space,
    calibrated: false,
    lowRetrievalThreshold: threshold,
    // An uncalibrated space has no evidence for a coverage cut-off; its strict similarity cut-off stands.
    minCoverage: 0,
    minSourceScore: threshold,
    confidenceMap: IDENTITY,
    evalReliability: [],
    derivedFrom: 'none: conservative fallback',
  }
}

/** Ollama names an untagged model `name:latest`; both spellings are one space. */
const sameModel = (a: string, b: string) => a.replace(/:latest$/, '') === b.replace(/:latest$/, '')

// Entries tried before the shipped table; only the evaluation harness sets them (a candidate calibration
// is measured by drafting with it, in process), never a request.
let candidates: readonly Calibration[] = []

/**
 * Makes `table` take precedence over {@link CALIBRATIONS} in this process until called with nothing.
 * For the evaluation harness (eval/run.ts), which drafts with the calibration it is fitting.
 * @internal
 */
export function useCandidateCalibrations(table: readonly Calibration[] = []): void {
  candidates = table
}

/**
 * The calibration of a scoring space from `table` (default: candidates set by the harness, then
 * {@link CALIBRATIONS}), else {@link uncalibrated} with `fallbackThreshold`.
 * @internal
 */
export function calibrationFor(
  space: ScoreSpace,
  fallbackThreshold: number,
  table: readonly Calibration[] = [...candidates, ...CALIBRATIONS],
): Calibration {
  return (
    table.find((c) => c.space.provider === space.provider && sameModel(c.space.model, space.model)) ??
    uncalibrated(space, fallbackThreshold)
  )
}

/**
 * Maps raw confidence points (0..100) to a calibrated confidence (0..100, integer) through the
 * calibration's breakpoints: linear between them, flat beyond the ends. Monotone whenever the map is.
 */
export function calibrateConfidence(raw: number, map: Calibration['confidenceMap']): number {
  if (map.length === 0 || !Number.isFinite(raw)) return Math.round(Math.min(100, Math.max(0, raw || 0)))
  const first = map[0]!
  const last = map[map.length - 1]!
  let p: number
  if (raw <= first[0]) p = first[1]
  else if (raw >= last[0]) p = last[1]
  else {
    const i = map.findIndex(([x]) => x >= raw)
    const [x0, y0] = map[i - 1]!
    const [x1, y1] = map[i]!
    p = x1 === x0 ? y1 : y0 + ((raw - x0) / (x1 - x0)) * (y1 - y0)
  }
  return Math.round(100 * Math.min(1, Math.max(0, p)))
}

/** Where the low-retrieval threshold of a draft came from. */
type ThresholdSource = 'tenant_escalation_rules' | 'tenant_reranking_config' | 'calibration'

/** The cut-offs a draft uses, and the record of them stored in `ai_replies.calibration`. */
export interface AppliedCalibration extends AppliedCutoffs {
  calibration: Calibration
  record: Pick<Calibration, 'id' | 'space' | 'calibrated'> &
    AppliedCutoffs & {
      /** The draft's knowledge coverage, filled in once the passages are retrieved. */
      coverage?: number | null
      /** Specific terms of the question the best passages never mention (shared/trust/unmentioned.ts). */
      unmentioned?: string[]
    }
}

/** The cut-offs in force for a draft (an entry's, or a tenant's own) and where the threshold came from. */
interface AppliedCutoffs
  extends Pick<Calibration, 'lowRetrievalThreshold' | 'minCoverage' | 'minSourceScore'> {
  thresholdSource: ThresholdSource
}

/**
 * Picks a draft's cut-offs. A tenant's own threshold wins: `settings.escalation.threshold` for low
 * retrieval, then the tenant's own reranking config (`scope: 'tenant'`) for both cut-offs. Otherwise the
 * calibration of the scoring space; the global reranking row's threshold is only the uncalibrated fallback.
 */
export function applyCalibration(input: {
  space: ScoreSpace
  reranking: { scope: 'tenant' | 'global'; scoreThreshold: number }
  tenantThreshold?: number
  table?: readonly Calibration[]
}): AppliedCalibration {
  const calibration = calibrationFor(input.space, input.reranking.scoreThreshold, input.table)
  const tenantConfig = input.reranking.scope === 'tenant'
  const minSourceScore = tenantConfig ? input.reranking.scoreThreshold : calibration.minSourceScore
  const [lowRetrievalThreshold, thresholdSource]: [number, ThresholdSource] =
    input.tenantThreshold !== undefined
      ? [input.tenantThreshold, 'tenant_escalation_rules']
      : tenantConfig
        ? [input.reranking.scoreThreshold, 'tenant_reranking_config']
        : [calibration.lowRetrievalThreshold, 'calibration']
  // A tenant that set its own threshold chose its own strictness: the calibrated coverage cut-off belongs
  // to the calibration it replaced, so it applies only with the calibration's similarity cut-off.
  const minCoverage = thresholdSource === 'calibration' ? calibration.minCoverage : 0
  return {
    calibration,
    lowRetrievalThreshold,
    minCoverage,
    minSourceScore,
    thresholdSource,
    record: {
      id: calibration.id,
      space: calibration.space,
      calibrated: calibration.calibrated,
      lowRetrievalThreshold,
      minCoverage,
      minSourceScore,
      thresholdSource,
    },
  }
}
