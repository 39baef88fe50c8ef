import { httpRoute } from '#shared/handlers/http-route'
import { getUser } from '#shared/identity/users'

export const handler = httpRoute('GET /me', async ({ deps, auth }) => {
  if (auth.kind === 'api_key')
    return { kind: 'api_key', apiKeyId: auth.apiKeyId, tenantId: auth.tenantId, role: auth.role }
  return { kind: 'user', ...(await getUser(deps.sql, auth.tenantId, auth.userId!)) }
})
