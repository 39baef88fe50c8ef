import { page } from '#shared/api/common'
import { httpRoute } from '#shared/handlers/http-route'
import { listTenants } from '#shared/identity/tenants'

export const handler = httpRoute('GET /tenants', async ({ deps, query }) =>
  page(await listTenants(deps.sql, query.cursor, query.limit), query.limit),
)
