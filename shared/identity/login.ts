import { audit } from '../audit/record.ts'
import { issueToken, type JwtSettings } from '../auth/jwt.ts'
import { dummyPasswordHash, verifyPassword } from '../auth/passwords.ts'
import type { Role } from '../auth/roles.ts'
import type { Sql } from '../db/sql.ts'
import { TooManyRequestsError, UnauthorizedError } from '../errors.ts'

/** Failures in a row before an account is locked, and for how long. */
const MAX_FAILED_LOGINS = 5
const LOCK_MINUTES = 15

/** Failures are forgotten after a day without attempts, so the throttle table does not pin old typos. */
const FORGET_HOURS = 24

interface Candidate {
  id: number
  tenantId: number
  email: string
  fullName: string | null
  role: Role
  hashedPassword: string
  isActive: boolean
  tokenVersion: number
}

/**
 * Password login. Brute force is bounded twice: an unknown account costs the same bcrypt time as a wrong
 * password, and every (tenant slug, email) pair — existing or not, so the answer reveals nothing — locks
 * for 15 minutes after 5 failures in a row.
 *
 * The attempt is reserved with one atomic upsert before the password is compared, so parallel requests
 * cannot read the same count: at most 5 passwords are ever evaluated per lock window. A locked attempt
 * still runs a bcrypt compare (against the dummy hash) so it takes as long as any other.
 */
export async function login(
  sql: Sql,
  jwt: JwtSettings,
  now: Date,
  input: { tenant: string; email: string; password: string },
) {
  const attempt = await reserveAttempt(sql, now, input.tenant, input.email)
  const [user] = await sql<Candidate[]>`
    SELECT u.id, u.tenant_id, u.email, u.full_name, u.role, u.hashed_password, u.is_active, u.token_version
    FROM users u JOIN tenants t ON t.id = u.tenant_id
    WHERE t.slug = ${input.tenant} AND t.is_active AND u.email = ${input.email}`
  const locked = attempt.attempts > MAX_FAILED_LOGINS
  const hash = !locked && user ? user.hashedPassword : await dummyPasswordHash()
  const ok = await verifyPassword(input.password, hash)
  if (locked) {
    const seconds = Math.max(1, Math.ceil((attempt.lockedUntil!.getTime() - now.getTime()) / 1000))
    throw new TooManyRequestsError('too many failed logins; try again later', seconds)
  }
  if (!ok || !user?.isActive) {
    if (user) {
      await audit(sql, {
        tenantId: user.tenantId,
        userId: user.id,
        action: 'login_failed',
        entityType: 'user',
        entityId: user.id,
      })
    }
    throw new UnauthorizedError('invalid credentials')
  }
  await sql`DELETE FROM login_throttle WHERE tenant_slug = ${input.tenant} AND email = ${input.email}`
  await sql`UPDATE users SET last_login_at = ${now} WHERE id = ${user.id}`
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

/**
 * Counts this attempt against (tenant slug, email) in one statement and returns the count including it.
 * An expired lock (or a day of silence) starts a new count; the attempt that reaches the limit sets the
 * lock, so the ones after it are refused without their password being looked at. A successful login
 * deletes the row.
 */
async function reserveAttempt(sql: Sql, now: Date, tenantSlug: string, email: string) {
  const lockUntil = new Date(now.getTime() + LOCK_MINUTES * 60_000)
  const forgetBefore = new Date(now.getTime() - FORGET_HOURS * 3_600_000)
  const [row] = await sql<{ attempts: number; lockedUntil: Date | null }[]>`
    INSERT INTO login_throttle AS l (tenant_slug, email, attempts, locked_until, updated_at)
    VALUES (${tenantSlug}, ${email}, 1, ${MAX_FAILED_LOGINS <= 1 ? lockUntil : null}, ${now})
    ON CONFLICT (tenant_slug, email) DO UPDATE SET
      attempts = CASE WHEN l.locked_until <= ${now} OR l.updated_at < ${forgetBefore} THEN 1
                      ELSE l.attempts + 1 END,
      locked_until = CASE WHEN l.locked_until <= ${now} OR l.updated_at < ${forgetBefore} THEN NULL
                          WHEN l.attempts + 1 >= ${MAX_FAILED_LOGINS} THEN coalesce(l.locked_until, ${lockUntil})
                          ELSE l.locked_until END,
      updated_at = ${now}
    RETURNING attempts, locked_until`
  return row!
}
