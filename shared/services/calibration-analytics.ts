/**
 * Live calibration (issue 11): does "confidence 80" still mean "about 80% right" on this desk's tickets?
 *
 * A draft counts once a human decided on it: approved unedited = right; approved with edits or rejected
 * = not right (pending and superseded drafts were never judged). Drafts are bucketed by their stored,
 * calibrated confidence in ten equal buckets, each with its observed share right, next to the
 * evaluation set's reliability of the calibration those drafts used (shared/drafting/calibration.ts),
 * so a support lead sees both curves side by side. A growing gap says: recalibrate (`npm run eval`).
 * Approvals are counted whichever channel recorded them (API or WHMCS), through `approved_replies`.
 */
import type { Sql } from '../db/sql.ts'
import { CALIBRATIONS, type ReliabilityBin } from '../drafting/calibration.ts'

const BUCKETS = 10

/** One live bucket: decided drafts, how many were right, and the eval set's figure for the same bucket. */
export interface LiveCalibrationBucket {
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

interface Row {
  bucket: number
  decided: number
  right: number
  meanConfidence: number | null
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
): Promise<LiveCalibration> {
  // Independent queries: concurrent on a server's pool.
  const [rows, used] = await Promise.all([
    sql<Row[]>`
    SELECT least(floor(d.confidence_score / ${100 / BUCKETS})::int, ${BUCKETS - 1}) AS bucket,
      count(*)::int AS decided,
      count(*) FILTER (WHERE ar.id IS NOT NULL AND NOT ar.edited)::int AS right,
      avg(d.confidence_score)::float8 AS mean_confidence
    FROM ai_replies d
    LEFT JOIN approved_replies ar ON ar.ai_reply_id = d.id AND ar.tenant_id = ${tenantId}
    WHERE d.tenant_id = ${tenantId} AND d.created_at >= ${window.from} AND d.created_at < ${window.to}
      AND d.status IN ('approved', 'rejected')
    GROUP BY 1`,
    sql<{ id: string | null; drafts: number }[]>`
    SELECT d.calibration->>'id' AS id, count(*)::int AS drafts
    FROM ai_replies d
    WHERE d.tenant_id = ${tenantId} AND d.created_at >= ${window.from} AND d.created_at < ${window.to}
    GROUP BY 1 ORDER BY drafts DESC, id`,
  ])
  const known = new Map(CALIBRATIONS.map((c) => [c.id, c]))
  const main = used.map((u) => (u.id ? known.get(u.id) : undefined)).find((c) => c !== undefined)
  const evalBins = main?.evalReliability ?? []

  const buckets = Array.from({ length: BUCKETS }, (_, i): LiveCalibrationBucket => {
    const r = rows.find((x) => x.bucket === i)
    const min = (i * 100) / BUCKETS
    const max = ((i + 1) * 100) / BUCKETS
    const evalBin = evalBins.find((b) => b.min === min)
    return {
      bucket: `${min}-${max}`,
      min,
      max,
      decided: r?.decided ?? 0,
      right: r?.right ?? 0,
      observed: r && r.decided > 0 ? round(r.right / r.decided) : null,
      meanConfidence: round(r?.meanConfidence ?? null),
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
