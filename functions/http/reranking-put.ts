import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'
import { saveRerankingConfig } from '#shared/knowledge/reranking-config'

export const handler = httpRoute('PUT /settings/reranking', async ({ deps, auth, query, body }) =>
  saveRerankingConfig(deps.sql, auth, actingTenant(auth, query.tenantId), body),
)
