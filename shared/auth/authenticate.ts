import { createHash } from 'node:crypto'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import { UnauthorizedError } from '../errors.ts'
import { verifyToken } from './jwt.ts'
import { type AuthContext, lowerRole, type Role } from './roles.ts'

/** What authenticating a request needs: the database, the JWT key and settings, and the clock. */
export interface AuthDeps {
  sql: Sql
  jwtKey: Uint8Array
  config: Pick<Config, 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'JWT_TTL_SECONDS'>
  now: () => Date
}

export const jwtSettings = (deps: Omit<AuthDeps, 'sql' | 'now'>) => ({
  key: deps.jwtKey,
  issuer: deps.config.JWT_ISSUER,
  audience: deps.config.JWT_AUDIENCE,
  ttlSeconds: deps.config.JWT_TTL_SECONDS,
})

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex')

/**
 * Resolves the caller from `Authorization: Bearer <jwt>` or `x-api-key`. The user (or key) and its tenant
 * are re-read on every request so deactivation, role changes and revocation take effect at once, not when
 * a token expires; in the same query, a token whose `tv` claim is not the user's current `token_version`
 * (bumped by a password, role or active change) is refused, so every session issued before the change ends.
 */
export async function authenticate(
  deps: AuthDeps,
  headers: Record<string, string | undefined>,
): Promise<AuthContext> {
  const { sql } = deps
  const bearer = headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1]
  if (bearer) {
    const { tokenVersion, ...claims } = await verifyToken(jwtSettings(deps), bearer, deps.now())
    const [user] = await sql<{ role: Role; tokenVersion: number }[]>`
      SELECT u.role, u.token_version FROM users u JOIN tenants t ON t.id = u.tenant_id
      WHERE u.id = ${claims.userId} AND u.tenant_id = ${claims.tenantId} AND u.is_active AND t.is_active`
    if (!user) throw new UnauthorizedError('account is disabled')
    // The account changed since the token was issued (password, role, deactivation): its sessions ended.
    if (user.tokenVersion !== tokenVersion) throw new UnauthorizedError('session ended; log in again')
    return { ...claims, role: user.role }
  }
  const apiKey = headers['x-api-key']
  if (apiKey) {
    // A key acts for its creator and never beyond what the creator may do now: the creator must still be
    // an active user of the key's tenant (a deleted creator leaves created_by NULL, so the join drops the
    // key), and the key's role is capped at the creator's current role.
    const [key] = await sql<
      { id: number; tenantId: number; role: Role; createdBy: number; creatorRole: Role }[]
    >`
      UPDATE api_keys k SET last_used_at = now()
      FROM tenants t, users u
      WHERE k.key_hash = ${hashApiKey(apiKey)} AND k.revoked_at IS NULL AND t.id = k.tenant_id AND t.is_active
        AND u.id = k.created_by AND u.tenant_id = k.tenant_id AND u.is_active
      RETURNING k.id, k.tenant_id, k.role, k.created_by, u.role AS creator_role`
    if (!key) throw new UnauthorizedError('invalid API key')
    return {
      kind: 'api_key',
      tenantId: key.tenantId,
      userId: key.createdBy,
      apiKeyId: key.id,
      role: lowerRole(key.role, key.creatorRole),
    }
  }
  throw new UnauthorizedError()
}
