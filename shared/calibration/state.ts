/**
 * What the calibration view and the refit schedule read of a tenant's calibration: its budget, the
 * calibration in force, and the decisions agents made since the last live sampling. Apart from the fit
 * (fitting.ts, gaps.ts) and the labels (live.ts, labelling.ts), so the read-only routes and the schedule do
 * not bundle the label rules and their 160 KB word list.
 */
import type { Db, Sql } from '../db/sql.ts'
import { loadRerankingConfig } from '../knowledge/reranking-config.ts'
import { enqueueRefit } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { CALIBRATIONS, type Calibration, calibrationFor, type ScoreSpace } from '../trust/calibration.ts'
import { DEFAULT_BUDGET } from '../trust/fit.ts'
import { tenantCalibrations } from '../trust/tenant-calibration.ts'

/** Decisions since the last sampling that make a refit worth it. */
export const REFIT_AFTER = 50
/** Draft statuses an agent's decision leaves behind (API and WHMCS outcomes). */
export const DECIDED = ['approved', 'rejected', 'sent_as_drafted', 'sent_edited', 'replaced'] as const

/** Decisions of the tenant not sampled yet. */
export async function newOutcomes(sql: Db, tenantId: number): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM ai_replies a
    WHERE a.tenant_id = ${tenantId} AND a.status IN ${sql(DECIDED)}
      AND a.updated_at > coalesce((SELECT live_sampled_at FROM tenant_calibration_state
                                   WHERE tenant_id = ${tenantId}), 'epoch')`
  return row?.n ?? 0
}

/** The schedule: a `refit` job for each tenant with {@link REFIT_AFTER} new decisions. */
export async function queueDueRefits(sql: Sql, jobs: ClaimedJob[]): Promise<number> {
  return sql.begin(async (tx) => {
    const due = await tx<{ tenantId: number }[]>`
      SELECT a.tenant_id FROM ai_replies a
      JOIN tenants t ON t.id = a.tenant_id AND t.is_active
      LEFT JOIN tenant_calibration_state s ON s.tenant_id = a.tenant_id
      WHERE a.status IN ${tx(DECIDED)} AND a.updated_at > coalesce(s.live_sampled_at, 'epoch')
      GROUP BY a.tenant_id HAVING count(*) >= ${REFIT_AFTER}
      ORDER BY a.tenant_id`
    for (const d of due) await enqueueRefit(tx, jobs, d.tenantId)
    return due.length
  })
}

/** The tenant's budget of answerable tickets escalated (`settings.calibration.budget`), default 10%. */
export async function budgetOf(sql: Db, tenantId: number): Promise<number> {
  const [t] = await sql<{ budget: number | null }[]>`
    SELECT (settings->'calibration'->>'budget')::float8 AS budget FROM tenants
    WHERE id = ${tenantId} AND jsonb_typeof(settings->'calibration'->'budget') = 'number'`
  const b = t?.budget
  return typeof b === 'number' && b >= 0 && b <= 0.5 ? b : DEFAULT_BUDGET
}

/** The calibration in force for `space`: the tenant's own, else the built-in entry, else the fallback. */
export async function inForceFor(sql: Db, tenantId: number, space: ScoreSpace): Promise<Calibration> {
  const [own, rerank] = await Promise.all([
    tenantCalibrations(sql, tenantId),
    loadRerankingConfig(sql, tenantId),
  ])
  return calibrationFor(space, rerank.scoreThreshold, [...own, ...CALIBRATIONS])
}
