/**
 * Live calibration (issue 11): does "confidence 80" still mean "about 80% right" on this desk's tickets?
 *
 * A draft counts once a human decided on it: approved unedited = right; approved with edits or rejected
 * = not right (pending and superseded drafts were never judged). Drafts are bucketed by their stored,
 * calibrated confidence in ten equal buckets, each with its observed share right, next to the
 * evaluation set's reliability of the calibration those drafts used (shared/trust/calibration.ts),
 * so a support lead sees both curves side by side. A growing gap says: recalibrate (`npm run eval`).
 * Approvals are counted whichever channel recorded them (API or WHMCS), through `approved_replies`.
 */
import type { Sql } from '../db/sql.ts'
import { CALIBRATIONS, type ReliabilityBin } from '../trust/calibration.ts'
import { windowFigures } from './daily.ts'
import { LIVE_BUCKETS as BUCKETS, byCodePoint, type WindowFigures } from './figures.ts'

/** One live bucket: decided drafts, how many were right, and the eval set's figure for the same bucket. */
interface LiveCalibrationBucket {
  bucket: string
  min: number
  max: number
  decided: number
  right: number
  /** Share of decided drafts approved unedited. */
  observed: number | null
  meanConfidence: number | null
  /** The evaluation set's accuracy in this bucket under the calibration most drafts used. */
  evalAccuracy: number | null
  evalDrafts: number
}

export interface LiveCalibration {
  decided: number
  right: number
  /** Expected calibration error of the decided drafts (0..1; null without decisions). */
  ece: number | null
  buckets: LiveCalibrationBucket[]
  /** The calibrations the window's drafts used, most used first; the first one is shown as `eval`. */
  calibrations: Array<{ id: string | null; drafts: number; derivedFrom: string | null }>
  eval: { id: string; derivedFrom: string; reliability: readonly ReliabilityBin[] } | null
}

const round = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4)

/**
 * Live reliability of a tenant's drafts created in [from, to), with the eval-set reliability of the
 * calibration in use. Every query filters on the tenant.
 */
export async function liveCalibration(
  sql: Sql,
  tenantId: number,
  window: { from: Date; to: Date },
  /** The window's figures when the caller already has them (the handler shares them with the summary). */
  figures?: Promise<WindowFigures>,
): Promise<LiveCalibration> {
  // Counted per day with the summary's figures (analytics-daily.ts: the live buckets and calibration ids).
  const { live } = await (figures ?? windowFigures(sql, tenantId, window))
  // Most used first, ties by id (C collation, NULL last), as an ORDER BY drafts DESC, id would.
  const used = [...live.calibrations]
    .map(([id, drafts]) => ({ id, drafts }))
    .sort((a, b) => b.drafts - a.drafts || byCodePoint(a.id, b.id))
  const known = new Map(CALIBRATIONS.map((c) => [c.id, c]))
  const main = used.map((u) => (u.id ? known.get(u.id) : undefined)).find((c) => c !== undefined)
  const evalBins = main?.evalReliability ?? []

  const buckets = Array.from({ length: BUCKETS }, (_, i): LiveCalibrationBucket => {
    const [decided, right, sum, n] = live.buckets[i]!
    const min = (i * 100) / BUCKETS
    const max = ((i + 1) * 100) / BUCKETS
    const evalBin = evalBins.find((b) => b.min === min)
    return {
      bucket: `${min}-${max}`,
      min,
      max,
      decided: decided!,
      right: right!,
      observed: decided! > 0 ? round(right! / decided!) : null,
      meanConfidence: round(n! > 0 ? sum! / n! : null),
      evalAccuracy: evalBin?.accuracy ?? null,
      evalDrafts: evalBin?.drafts ?? 0,
    }
  })
  const decided = buckets.reduce((s, b) => s + b.decided, 0)
  const right = buckets.reduce((s, b) => s + b.right, 0)
  const ece =
    decided === 0
      ? null
      : round(
          buckets.reduce(
            (s, b) =>
              b.decided === 0
                ? s
                : s + (b.decided / decided) * Math.abs((b.observed ?? 0) - (b.meanConfidence ?? 0) / 100),
            0,
          ),
        )
  return {
    decided,
    right,
    ece,
    buckets,
    calibrations: used.map((u) => ({
      id: u.id,
      drafts: u.drafts,
      derivedFrom: (u.id && known.get(u.id)?.derivedFrom) || null,
    })),
    eval: main ? { id: main.id, derivedFrom: main.derivedFrom, reliability: main.evalReliability } : null,
  }
}
