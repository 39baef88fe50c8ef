import { issueToken, type JwtSettings } from '../auth/jwt.ts'
import { dummyPasswordHash, verifyPassword } from '../auth/passwords.ts'
import type { Role } from '../auth/roles.ts'
import type { Sql } from '../db/sql.ts'
import { TooManyRequestsError, UnauthorizedError } from '../http/errors.ts'
import { audit } from './audit.ts'

/** Failures in a row before an account is locked, and for how long. */
export const MAX_FAILED_LOGINS = 5
export const LOCK_MINUTES = 15

interface Candidate {
  id: number
  tenantId: number
  email: string
  fullName: string | null
  role: Role
  hashedPassword: string
  isActive: boolean
  failedLogins: number
  lockedUntil: Date | null
}

/**
 * Password login. Brute force is bounded twice: an unknown account costs the same bcrypt time as a wrong
 * password (no enumeration by timing), and an account locks for 15 minutes after 5 failures in a row.
 */
export async function login(
  sql: Sql,
  jwt: JwtSettings,
  now: Date,
  input: { tenant: string; email: string; password: string },
) {
  const [user] = await sql<Candidate[]>`
    SELECT u.id, u.tenant_id, u.email, u.full_name, u.role, u.hashed_password, u.is_active,
           u.failed_logins, u.locked_until
    FROM users u JOIN tenants t ON t.id = u.tenant_id
    WHERE t.slug = ${input.tenant} AND t.is_active AND u.email = ${input.email}`
  const ok = await verifyPassword(input.password, user?.hashedPassword ?? (await dummyPasswordHash()))
  if (!user?.isActive) throw new UnauthorizedError('invalid credentials')
  if (user.lockedUntil && user.lockedUntil > now) {
    const seconds = Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000)
    throw new TooManyRequestsError('too many failed logins; try again later', seconds)
  }
  if (!ok) {
    const lock = user.failedLogins + 1 >= MAX_FAILED_LOGINS
    await sql`
      UPDATE users SET failed_logins = ${lock ? 0 : user.failedLogins + 1},
        locked_until = ${lock ? new Date(now.getTime() + LOCK_MINUTES * 60_000) : null}
      WHERE id = ${user.id}`
    await audit(sql, {
      tenantId: user.tenantId,
      userId: user.id,
      action: 'login_failed',
      entityType: 'user',
      entityId: user.id,
    })
    throw new UnauthorizedError('invalid credentials')
  }
  await sql`UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ${now} WHERE id = ${user.id}`
  await audit(sql, {
    tenantId: user.tenantId,
    userId: user.id,
    action: 'login',
    entityType: 'user',
    entityId: user.id,
  })
  const { token, expiresAt } = await issueToken(jwt, user, now)
  return {
    token,
    expiresAt,
    user: {
      id: user.id,
      tenantId: user.tenantId,
      email: user.email,
      fullName: user.fullName,
      role: user.role,
    },
  }
}
