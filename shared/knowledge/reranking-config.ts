import type { RerankingConfig } from '../api/prompts.ts'
import { audit } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import type { Db, Sql } from '../db/sql.ts'
import { DEFAULT_RERANKING_CONFIG } from './rerank.ts'

/** A reranking config and whose it is: the tenant's own row, or the global default it inherits. */
export type RerankingConfigView = RerankingConfig & { scope: 'tenant' | 'global' }

interface Row {
  tenantId: number | null
  isEnabled: boolean
  modelName: string
  weightGlobalKb: number
  weightTenantKb: number
  weightApprovedExamples: number
  weightCorrections: number
  topKInitial: number
  topKRerank: number
  scoreThreshold: number
}

const COLUMNS = (sql: Db) => sql`
  tenant_id, is_enabled, model_name, weight_global_kb, weight_tenant_kb, weight_approved_examples,
  weight_corrections, top_k_initial, top_k_rerank, score_threshold`

// `real` columns come back as the shortest decimal that round-trips a float4 (0.35, not 0.3499999940…),
// but rounding keeps the API stable should a driver ever return the widened double.
const r6 = (x: number) => Math.round(x * 1e6) / 1e6

const view = (row: Row): RerankingConfigView => ({
  scope: row.tenantId === null ? 'global' : 'tenant',
  isEnabled: row.isEnabled,
  modelName: row.modelName,
  weights: {
    global_kb: r6(row.weightGlobalKb),
    tenant_kb: r6(row.weightTenantKb),
    approved_example: r6(row.weightApprovedExamples),
    correction: r6(row.weightCorrections),
  },
  topKInitial: row.topKInitial,
  topKRerank: row.topKRerank,
  scoreThreshold: r6(row.scoreThreshold),
})

/**
 * The reranking config a tenant drafts with: its own row, else the global row (tenant NULL, seeded by
 * migration 001), else the seed defaults in code.
 */
export async function loadRerankingConfig(sql: Db, tenantId: number): Promise<RerankingConfigView> {
  const [row] = await sql<Row[]>`
    SELECT ${COLUMNS(sql)} FROM reranking_configs
    WHERE tenant_id = ${tenantId} OR tenant_id IS NULL
    ORDER BY tenant_id NULLS LAST LIMIT 1`
  return row ? view(row) : { ...DEFAULT_RERANKING_CONFIG, scope: 'global' }
}

/** Creates or replaces the tenant's own reranking config; the global default is never touched here. */
export async function saveRerankingConfig(
  sql: Sql,
  auth: AuthContext,
  tenantId: number,
  config: RerankingConfig,
): Promise<RerankingConfigView> {
  return sql.begin(async (tx) => {
    const before = await loadRerankingConfig(tx, tenantId)
    const [row] = await tx<Row[]>`
      INSERT INTO reranking_configs (tenant_id, is_enabled, model_name, weight_global_kb, weight_tenant_kb,
        weight_approved_examples, weight_corrections, top_k_initial, top_k_rerank, score_threshold)
      VALUES (${tenantId}, ${config.isEnabled}, ${config.modelName}, ${config.weights.global_kb},
        ${config.weights.tenant_kb}, ${config.weights.approved_example}, ${config.weights.correction},
        ${config.topKInitial}, ${config.topKRerank}, ${config.scoreThreshold})
      ON CONFLICT (tenant_id) DO UPDATE SET
        is_enabled = EXCLUDED.is_enabled, model_name = EXCLUDED.model_name,
        weight_global_kb = EXCLUDED.weight_global_kb, weight_tenant_kb = EXCLUDED.weight_tenant_kb,
        weight_approved_examples = EXCLUDED.weight_approved_examples,
        weight_corrections = EXCLUDED.weight_corrections, top_k_initial = EXCLUDED.top_k_initial,
        top_k_rerank = EXCLUDED.top_k_rerank, score_threshold = EXCLUDED.score_threshold,
        updated_at = now()
      RETURNING ${COLUMNS(tx)}`
    const after = view(row!)
    const { scope: _scope, ...previous } = before
    await audit(tx, {
      tenantId,
      userId: auth.userId,
      action: 'settings_changed',
      entityType: 'reranking_config',
      details: { setting: 'reranking', previous, previousScope: before.scope, current: config },
    })
    return after
  })
}
