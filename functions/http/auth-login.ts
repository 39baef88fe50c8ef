import { jwtSettings } from '#shared/auth/authenticate'
import { httpRoute } from '#shared/handlers/http-route'
import { login } from '#shared/identity/login'

export const handler = httpRoute('POST /auth/login', async ({ deps, body }) =>
  login(deps.sql, jwtSettings(deps), deps.now(), body),
)
