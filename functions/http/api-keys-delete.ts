import { httpRoute } from '#shared/handlers/http-route'
import { revokeApiKey } from '#shared/identity/api-keys'

export const handler = httpRoute('DELETE /api-keys/{id}', async ({ deps, auth, params }) => {
  await revokeApiKey(deps.sql, auth, params.id)
  return null
})
