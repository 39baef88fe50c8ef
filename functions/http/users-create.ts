import { actingTenant } from '#shared/auth/scope'
import { httpRoute } from '#shared/handlers/http-route'
import { createUser } from '#shared/identity/users'

export const handler = httpRoute('POST /users', async ({ deps, auth, body }) => {
  const { tenantId, ...user } = body
  return createUser(deps.sql, auth, actingTenant(auth, tenantId), user)
})
