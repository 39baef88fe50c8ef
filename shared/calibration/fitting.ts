/**
 * Fits a tenant's calibration on its labelled samples and stores the result (issue 28): every fit becomes a
 * versioned `tenant_calibrations` row, adopted or not, with its cross-validated figures, the figures of the
 * calibration in force on the same samples, its sample sizes and the reason; an adopted one is put in force
 * (`tenant_calibration_state`) unless an admin pinned a version. The fit and the adoption rule are
 * shared/trust/fit.ts.
 *
 * Samples: those of the tenant's latest finished replay (or of the run being finished) and the live ones
 * (reviewed drafts) of the last {@link LIVE_WINDOW_DAYS} days, in the scoring space the newest of them were
 * drafted in (a sample of another embedding model says nothing about this one's scores).
 */
import type { Db } from '../db/sql.ts'
import type { ScoreSpace } from '../trust/calibration.ts'
import { type FitSample, fitCalibration } from '../trust/fit.ts'
import { refreshGaps } from './gaps.ts'
import { budgetOf, inForceFor } from './state.ts'

/** Live samples older than this no longer describe the desk. */
const LIVE_WINDOW_DAYS = 180
/** Most samples a fit reads (the newest). */
const MAX_SAMPLES = 2000

interface SampleRow {
  bestSimilarity: number | null
  coverage: number | null
  unmentioned: string[]
  escalationReasons: Array<{ code: string }>
  answerable: boolean | null
  usable: boolean | null
  confidenceRaw: number | null
}

const asFitSample = (r: SampleRow): FitSample => ({
  sim: r.bestSimilarity,
  cov: r.coverage,
  unmentioned: r.unmentioned.length > 0,
  otherReason: r.escalationReasons.some((x) => x.code !== 'low_retrieval'),
  answerable: r.answerable,
  usable: r.usable,
  raw: r.confidenceRaw ?? 0,
})

/**
 * Fits the tenant's calibration in the caller's transaction, stores it (adopting it when the rule says so
 * and no version is pinned) and refreshes the knowledge gaps. Null when there is no labelled sample at all.
 */
export async function fitTenant(
  tx: Db,
  tenantId: number,
  origin: { source: 'replay' | 'live'; runId: number | null },
): Promise<{ id: number; version: number; adopted: boolean } | null> {
  // Serialises fits of one tenant (a replay finishing while the schedule refits): versions stay unique.
  await tx`
    INSERT INTO tenant_calibration_state (tenant_id) VALUES (${tenantId}) ON CONFLICT (tenant_id) DO NOTHING`
  const [state] = await tx<{ pinned: boolean }[]>`
    SELECT pinned FROM tenant_calibration_state WHERE tenant_id = ${tenantId} FOR UPDATE`
  const space = await sampleSpace(tx, tenantId, origin.runId)
  const replayRun = origin.runId ?? (await latestRun(tx, tenantId))
  const rows = await tx<SampleRow[]>`
    SELECT best_similarity, coverage, unmentioned, escalation_reasons, answerable, usable, confidence_raw
    FROM calibration_samples s
    WHERE s.tenant_id = ${tenantId} AND s.status = 'done' AND s.space = ${tx.json((space ?? {}) as never)}
      AND (s.run_id = ${replayRun ?? 0}
           OR (s.origin = 'live' AND s.created_at > now() - make_interval(days => ${LIVE_WINDOW_DAYS})))
    ORDER BY s.id DESC LIMIT ${MAX_SAMPLES}`
  await refreshGaps(tx, tenantId, replayRun)
  if (!space || rows.length === 0) return null
  const current = await inForceFor(tx, tenantId, space)
  const budget = await budgetOf(tx, tenantId)
  // Oldest first: folds are index mod k, and a desk's history has no order that could leak into them.
  const fit = fitCalibration(rows.reverse().map(asFitSample), current, { budget })
  const adopt = fit.adopt && !state?.pinned
  const reason = fit.adopt && state?.pinned ? `not adopted: a version is pinned (${fit.reason})` : fit.reason
  const minSourceScore = current.calibrated ? current.minSourceScore : fit.adopted.lowRetrievalThreshold
  const [row] = await tx<{ id: number; version: number }[]>`
    INSERT INTO tenant_calibrations (tenant_id, version, source, run_id, space, low_retrieval_threshold,
      min_coverage, min_source_score, confidence_map, reliability, metrics, samples, budget, based_on, adopted,
      reason)
    SELECT ${tenantId}, coalesce(max(version), 0) + 1, ${origin.source}, ${origin.runId},
      ${tx.json(space as never)}, ${fit.adopted.lowRetrievalThreshold}, ${fit.adopted.minCoverage},
      ${minSourceScore}, ${tx.json(fit.adopted.confidenceMap as never)},
      ${tx.json(fit.crossValidated.reliability as never)},
      ${tx.json({ crossValidated: strip(fit.crossValidated), current: strip(fit.current), fitted: fit.fitted, parts: fit.parts } as never)},
      ${tx.json(fit.samples as never)}, ${budget}, ${current.id}, ${adopt}, ${reason}
    FROM tenant_calibrations WHERE tenant_id = ${tenantId}
    RETURNING id, version`
  if (adopt) {
    await tx`
      UPDATE tenant_calibration_state SET calibration_id = ${row!.id}, updated_at = now()
      WHERE tenant_id = ${tenantId}`
  }
  return { id: row!.id, version: row!.version, adopted: adopt }
}

const strip = <T extends { reliability: unknown }>({ reliability: _r, ...figures }: T) => figures

/** The scoring space of the newest sample of the run (or of the tenant): the one the fit is for. */
async function sampleSpace(tx: Db, tenantId: number, runId: number | null): Promise<ScoreSpace | null> {
  const [row] = await tx<{ space: ScoreSpace }[]>`
    SELECT space FROM calibration_samples
    WHERE tenant_id = ${tenantId} AND status = 'done' AND space IS NOT NULL
      ${runId === null ? tx`` : tx`AND run_id = ${runId}`}
    ORDER BY id DESC LIMIT 1`
  return row?.space ?? null
}

/** The tenant's latest finished replay. */
async function latestRun(tx: Db, tenantId: number): Promise<number | null> {
  const [row] = await tx<{ id: number }[]>`
    SELECT id FROM calibration_runs WHERE tenant_id = ${tenantId} AND status = 'done' ORDER BY id DESC LIMIT 1`
  return row?.id ?? null
}
