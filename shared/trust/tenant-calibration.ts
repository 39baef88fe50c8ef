/**
 * A tenant's own calibration in force (issue 28): the `tenant_calibrations` row its
 * `tenant_calibration_state` points at, as the {@link Calibration} the draft pipeline applies before the
 * built-in entry of the scoring space (shared/trust/calibration.ts `applyCalibration`). Fitting, adopting,
 * pinning and rolling back live in shared/calibration/.
 */
import type { Db } from '../db/sql.ts'
import type { Calibration, ReliabilityBin, ScoreSpace } from './calibration.ts'

/** A `tenant_calibrations` row as read here. */
interface TenantCalibrationRow {
  id: number
  tenantId: number
  version: number
  source: 'replay' | 'live'
  space: ScoreSpace
  lowRetrievalThreshold: number
  minCoverage: number
  minSourceScore: number
  confidenceMap: Array<[number, number]>
  reliability: ReliabilityBin[]
  metrics: {
    crossValidated?: {
      answerableEscalated: number | null
      unanswerableCaught: number | null
      ece: number | null
    }
  }
  createdAt: Date
}

/** The columns {@link TenantCalibrationRow} reads (alias `tc`). */
const TENANT_CALIBRATION_COLUMNS = (sql: Db) => sql`
  tc.id, tc.tenant_id, tc.version, tc.source, tc.space, tc.low_retrieval_threshold, tc.min_coverage,
  tc.min_source_score, tc.confidence_map, tc.reliability, tc.metrics, tc.created_at`

/** A tenant's fit as the calibration a draft applies; its id names the tenant and the version. */
function asCalibration(row: TenantCalibrationRow): Calibration {
  const cv = row.metrics.crossValidated
  return {
    id: `tenant:${row.tenantId}/v${row.version}`,
    space: row.space,
    calibrated: true,
    lowRetrievalThreshold: row.lowRetrievalThreshold,
    minCoverage: row.minCoverage,
    minSourceScore: row.minSourceScore,
    confidenceMap: row.confidenceMap,
    evalReliability: row.reliability,
    derivedFrom: `${row.source === 'replay' ? "a replay of the desk's history" : 'live review outcomes'}, version ${row.version}, ${row.createdAt.toISOString().slice(0, 10)}`,
    ...(cv ? { crossValidated: cv } : {}),
    source: row.source,
    tenantCalibrationId: row.id,
    version: row.version,
  }
}

/** The tenant's calibrations in force (none: the built-in entries apply). One statement, every draft. */
export async function tenantCalibrations(sql: Db, tenantId: number): Promise<Calibration[]> {
  const rows = await sql<TenantCalibrationRow[]>`
    SELECT ${TENANT_CALIBRATION_COLUMNS(sql)}
    FROM tenant_calibration_state s JOIN tenant_calibrations tc ON tc.id = s.calibration_id
    WHERE s.tenant_id = ${tenantId} AND tc.tenant_id = ${tenantId}`
  return rows.map(asCalibration)
}
