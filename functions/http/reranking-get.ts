import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'
import { loadRerankingConfig } from '#shared/knowledge/reranking-config'

export const handler = httpRoute('GET /settings/reranking', async ({ deps, auth, query }) =>
  loadRerankingConfig(deps.sql, actingTenant(auth, query.tenantId)),
)
