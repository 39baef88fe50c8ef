/**
 * What an admin sees of the desk's calibration and does with it (issue 28, item 5): `GET /calibration`,
 * the versions, pin / rollback / unpin, and the reliability diagram (live and in force side by side).
 */
import type { AiProvider } from '../ai/provider.ts'
import { windowFigures } from '../analytics/daily.ts'
import { auditAs } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import { beforeCursor, type Db, type Sql } from '../db/sql.ts'
import { ConflictError, found } from '../errors.ts'
import type { ReliabilityBin } from '../trust/calibration.ts'
import { reliabilityDiagram } from './reliability-svg.ts'
import { currentRun } from './runs.ts'
import { budgetOf, inForceFor, newOutcomes, REFIT_AFTER } from './state.ts'

interface VersionRow {
  id: number
  version: number
  source: 'replay' | 'live'
  runId: number | null
  space: { provider: string; model: string }
  lowRetrievalThreshold: number
  minCoverage: number
  minSourceScore: number
  confidenceMap: Array<[number, number]>
  reliability: ReliabilityBin[]
  metrics: { crossValidated?: Record<string, number | null>; current?: Record<string, number | null> }
  samples: Record<string, number>
  budget: number
  basedOn: string
  adopted: boolean
  reason: string
  createdAt: Date
  inForce: boolean
}

const VERSION_COLUMNS = (sql: Db, tenantId: number) => sql`
  tc.id, tc.version, tc.source, tc.run_id, tc.space, tc.low_retrieval_threshold, tc.min_coverage,
  tc.min_source_score, tc.confidence_map, tc.reliability, tc.metrics, tc.samples, tc.budget, tc.based_on,
  tc.adopted, tc.reason, tc.created_at,
  coalesce(tc.id = (SELECT calibration_id FROM tenant_calibration_state WHERE tenant_id = ${tenantId}), false) AS in_force`

const r4 = (x: number | null | undefined) => (typeof x === 'number' ? Math.round(x * 10_000) / 10_000 : null)
const figures = (m: Record<string, number | null> | undefined) =>
  m
    ? {
        answerableEscalated: r4(m.answerableEscalated),
        unanswerableCaught: r4(m.unanswerableCaught),
        ece: r4(m.ece),
        brier: r4(m.brier),
      }
    : null

function versionView(row: VersionRow) {
  return {
    id: row.id,
    version: row.version,
    source: row.source,
    runId: row.runId,
    space: row.space,
    cutoffs: {
      lowRetrievalThreshold: row.lowRetrievalThreshold,
      minCoverage: row.minCoverage,
      minSourceScore: row.minSourceScore,
    },
    confidenceMap: row.confidenceMap,
    budget: row.budget,
    basedOn: row.basedOn,
    adopted: row.adopted,
    reason: row.reason,
    samples: row.samples,
    crossValidated: figures(row.metrics.crossValidated),
    current: figures(row.metrics.current),
    reliability: row.reliability,
    inForce: row.inForce,
    createdAt: row.createdAt,
  }
}

/** `GET /calibration/versions`: every fit of the tenant, newest first. */
export async function listVersions(sql: Sql, tenantId: number, q: { cursor?: number; limit: number }) {
  const rows = await sql<VersionRow[]>`
    SELECT ${VERSION_COLUMNS(sql, tenantId)} FROM tenant_calibrations tc
    WHERE tc.tenant_id = ${tenantId} ${beforeCursor(sql, q.cursor, 'tc.id')}
    ORDER BY tc.id DESC LIMIT ${q.limit + 1}`
  return rows.map(versionView)
}

/** `GET /calibration`: the calibration in force, the newest fit, the current run and live progress. */
export async function calibrationView(
  sql: Sql,
  ai: Pick<AiProvider, 'name' | 'embedModel'>,
  tenantId: number,
) {
  const space = { provider: ai.name, model: ai.embedModel }
  const [inForce, [latest], [state], run, outcomes, budget] = await Promise.all([
    inForceFor(sql, tenantId, space),
    sql<VersionRow[]>`
      SELECT ${VERSION_COLUMNS(sql, tenantId)} FROM tenant_calibrations tc
      WHERE tc.tenant_id = ${tenantId} ORDER BY tc.id DESC LIMIT 1`,
    sql<
      {
        pinned: boolean
        lastLiveFitAt: Date | null
        adoptedAt: Date | null
        samples: Record<string, number> | null
      }[]
    >`
      SELECT s.pinned, s.last_live_fit_at, tc.created_at AS adopted_at, tc.samples
      FROM tenant_calibration_state s LEFT JOIN tenant_calibrations tc ON tc.id = s.calibration_id
      WHERE s.tenant_id = ${tenantId}`,
    currentRun(sql, tenantId),
    newOutcomes(sql, tenantId),
    budgetOf(sql, tenantId),
  ])
  const cv = inForce.crossValidated
  return {
    inForce: {
      source: inForce.source ?? 'default',
      id: inForce.id,
      version: inForce.version ?? null,
      tenantCalibrationId: inForce.tenantCalibrationId ?? null,
      space: inForce.space,
      calibrated: inForce.calibrated,
      pinned: state?.pinned ?? false,
      cutoffs: {
        lowRetrievalThreshold: inForce.lowRetrievalThreshold,
        minCoverage: inForce.minCoverage,
        minSourceScore: inForce.minSourceScore,
      },
      confidenceMap: inForce.confidenceMap.map(([x, p]) => [x, p] as [number, number]),
      samples: inForce.tenantCalibrationId === undefined ? null : (state?.samples ?? null),
      crossValidated: cv
        ? {
            answerableEscalated: cv.answerableEscalated,
            unanswerableCaught: cv.unanswerableCaught,
            ece: cv.ece,
          }
        : null,
      reliability: [...inForce.evalReliability],
      derivedFrom: inForce.derivedFrom,
      adoptedAt: inForce.tenantCalibrationId === undefined ? null : (state?.adoptedAt ?? null),
    },
    latestFit: latest ? versionView(latest) : null,
    budget,
    run,
    live: { newOutcomes: outcomes, refitAfter: REFIT_AFTER, lastFitAt: state?.lastLiveFitAt ?? null },
  }
}

/** `POST /calibration/versions/{id}/pin`: puts a fit of the tenant in force and pins it. */
export async function pinVersion(sql: Sql, auth: AuthContext, tenantId: number, calibrationId: number) {
  await sql.begin(async (tx) => {
    const row = found(
      await tx<{ version: number }[]>`
        SELECT version FROM tenant_calibrations WHERE id = ${calibrationId} AND tenant_id = ${tenantId}`,
      'calibration',
    )
    await setInForce(tx, tenantId, calibrationId, true)
    await auditAs(
      tx,
      { ...auth, tenantId },
      {
        action: 'calibration_pinned',
        entityType: 'calibration',
        entityId: calibrationId,
        details: { version: row.version },
      },
    )
  })
}

/**
 * `POST /calibration/rollback`: the calibration in force before the current one (the newest adopted one
 * older than it), else the built-in one, is put back and pinned.
 *
 * @throws ConflictError when the built-in calibration is in force already
 */
export async function rollback(sql: Sql, auth: AuthContext, tenantId: number) {
  await sql.begin(async (tx) => {
    const [state] = await tx<{ calibrationId: number | null }[]>`
      SELECT calibration_id FROM tenant_calibration_state WHERE tenant_id = ${tenantId} FOR UPDATE`
    if (!state?.calibrationId) throw new ConflictError('the built-in calibration is already in force')
    const [previous] = await tx<{ id: number }[]>`
      SELECT id FROM tenant_calibrations
      WHERE tenant_id = ${tenantId} AND adopted AND id < ${state.calibrationId} ORDER BY id DESC LIMIT 1`
    await setInForce(tx, tenantId, previous?.id ?? null, true)
    await auditAs(
      tx,
      { ...auth, tenantId },
      {
        action: 'calibration_rolled_back',
        entityType: 'calibration',
        entityId: previous?.id ?? null,
        details: { from: state.calibrationId, to: previous?.id ?? 'built-in' },
      },
    )
  })
}

/** `DELETE /calibration/pin`: automatic refits may adopt again. */
export async function unpin(sql: Sql, auth: AuthContext, tenantId: number) {
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO tenant_calibration_state (tenant_id) VALUES (${tenantId})
      ON CONFLICT (tenant_id) DO UPDATE SET pinned = false, updated_at = now()`
    await auditAs(tx, { ...auth, tenantId }, { action: 'calibration_unpinned', entityType: 'calibration' })
  })
}

/**
 * `PUT /calibration/settings`: the tenant's budget of answerable tickets escalated, kept in
 * `settings.calibration.budget` beside the tenant's other settings (read by `budgetOf`).
 */
export async function setBudget(sql: Sql, auth: AuthContext, tenantId: number, budget: number) {
  await sql.begin(async (tx) => {
    found(await tx`SELECT id FROM tenants WHERE id = ${tenantId} FOR UPDATE`, 'tenant')
    const before = await budgetOf(tx, tenantId)
    await tx`
      UPDATE tenants SET settings = jsonb_set(
        CASE WHEN jsonb_typeof(settings->'calibration') = 'object' THEN settings
             ELSE coalesce(settings, '{}'::jsonb) || '{"calibration": {}}'::jsonb END,
        '{calibration,budget}', to_jsonb(${budget}::float8))
      WHERE id = ${tenantId}`
    await auditAs(
      tx,
      { ...auth, tenantId },
      {
        action: 'calibration_budget_changed',
        entityType: 'calibration',
        details: { from: before, to: budget },
      },
    )
  })
}

async function setInForce(tx: Db, tenantId: number, calibrationId: number | null, pinned: boolean) {
  await tx`
    INSERT INTO tenant_calibration_state (tenant_id, calibration_id, pinned)
    VALUES (${tenantId}, ${calibrationId}, ${pinned})
    ON CONFLICT (tenant_id) DO UPDATE SET calibration_id = EXCLUDED.calibration_id, pinned = EXCLUDED.pinned,
      updated_at = now()`
}

/** `GET /calibration/reliability.svg`: live decided drafts of the last 90 days beside the calibration in force. */
export async function reliabilitySvg(
  sql: Sql,
  ai: Pick<AiProvider, 'name' | 'embedModel'>,
  tenantId: number,
) {
  const to = new Date()
  const from = new Date(to.getTime() - 90 * 86_400_000)
  const [inForce, { live }] = await Promise.all([
    inForceFor(sql, tenantId, { provider: ai.name, model: ai.embedModel }),
    windowFigures(sql, tenantId, { from, to }),
  ])
  const liveBins: ReliabilityBin[] = live.buckets.map(([decided, right, sum, n], i) => ({
    bucket: `${i * 10}-${i * 10 + 10}`,
    min: i * 10,
    max: i * 10 + 10,
    drafts: decided ?? 0,
    meanConfidence: n ? (sum ?? 0) / n : null,
    accuracy: decided ? (right ?? 0) / decided : null,
  }))
  return reliabilityDiagram([
    { label: 'Live: decided drafts, last 90 days', bins: liveBins },
    { label: `In force: ${inForce.id}`, bins: [...inForce.evalReliability] },
  ])
}
