import { page } from '#shared/api/common'
import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'
import { listUsers } from '#shared/identity/users'

export const handler = httpRoute('GET /users', async ({ deps, auth, query }) =>
  page(await listUsers(deps.sql, actingTenant(auth, query.tenantId), query.cursor, query.limit), query.limit),
)
