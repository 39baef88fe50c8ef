import { httpRoute } from '#shared/handlers/http-route'
import { updateUser } from '#shared/identity/users'

export const handler = httpRoute('PATCH /users/{id}', async ({ deps, auth, params, body }) =>
  updateUser(deps.sql, auth, params.id, body),
)
