import { audit } from '../audit/record.ts'
import { hashPassword } from '../auth/passwords.ts'
import type { AuthContext, Role } from '../auth/roles.ts'
import { type Db, definedOnly, type Sql, tenantPage } from '../db/sql.ts'
import { ConflictError, ForbiddenError, found } from '../errors.ts'

export interface UserView {
  id: number
  tenantId: number
  email: string
  fullName: string | null
  role: Role
  isActive: boolean
  lastLoginAt: Date | null
  createdAt: Date
  updatedAt: Date
}

const COLUMNS = (sql: Db) =>
  sql`id, tenant_id, email, full_name, role, is_active, last_login_at, created_at, updated_at`

export async function createUser(
  sql: Sql,
  actor: AuthContext | null,
  tenantId: number,
  input: { email: string; password: string; fullName?: string | null; role: Role },
): Promise<UserView> {
  const hash = await hashPassword(input.password)
  return sql.begin(async (tx) => {
    const [user] = await tx<UserView[]>`
      INSERT INTO users (tenant_id, email, hashed_password, full_name, role)
      SELECT ${tenantId}, ${input.email}, ${hash}, ${input.fullName ?? null}, ${input.role}
      WHERE EXISTS (SELECT 1 FROM tenants WHERE id = ${tenantId})
      ON CONFLICT (tenant_id, email) DO NOTHING
      RETURNING ${COLUMNS(tx)}`
    if (!user) {
      found(await tx`SELECT 1 FROM tenants WHERE id = ${tenantId}`, 'tenant')
      throw new ConflictError('a user with this email already exists in the tenant')
    }
    await audit(tx, {
      tenantId,
      userId: actor?.userId,
      action: 'user_created',
      entityType: 'user',
      entityId: user.id,
      details: { role: user.role },
    })
    return user
  })
}

export function listUsers(sql: Db, tenantId: number, cursor: number | undefined, limit: number) {
  return tenantPage<UserView>(sql, 'users', COLUMNS(sql), { tenantId, cursor, limit })
}

export async function getUser(sql: Sql, tenantId: number, userId: number): Promise<UserView> {
  return found(
    await sql<UserView[]>`SELECT ${COLUMNS(sql)} FROM users WHERE tenant_id = ${tenantId} AND id = ${userId}`,
    'user',
  )
}

export async function updateUser(
  sql: Sql,
  actor: AuthContext,
  userId: number,
  patch: { password?: string; fullName?: string | null; role?: Role; isActive?: boolean },
): Promise<UserView> {
  const set = definedOnly({
    hashed_password: patch.password ? await hashPassword(patch.password) : undefined,
    full_name: patch.fullName,
    role: patch.role,
    is_active: patch.isActive,
    updated_at: new Date(),
  })
  return sql.begin(async (tx) => {
    // A superadmin may edit users of any tenant; everyone else only their own tenant's.
    const scope = actor.role === 'superadmin' ? tx`true` : tx`tenant_id = ${actor.tenantId}`
    const target = found(
      await tx<{ role: Role; tenantId: number; isActive: boolean }[]>`
        SELECT role, tenant_id, is_active FROM users WHERE id = ${userId} AND ${scope} FOR UPDATE`,
      'user',
    )
    if (target.role === 'superadmin' && actor.role !== 'superadmin') throw new ForbiddenError()
    // A new password, role or active flag ends every session issued before it (the token version is in
    // each JWT), also those of an admin changing their own password: they log in again.
    const endsSessions =
      patch.password !== undefined ||
      (patch.role !== undefined && patch.role !== target.role) ||
      (patch.isActive !== undefined && patch.isActive !== target.isActive)
    const [user] = await tx<UserView[]>`
      UPDATE users SET ${tx(set)}
        ${endsSessions ? tx`, token_version = token_version + 1` : tx``}
      WHERE id = ${userId} RETURNING ${COLUMNS(tx)}`
    await audit(tx, {
      tenantId: target.tenantId,
      userId: actor.userId,
      action: 'user_updated',
      entityType: 'user',
      entityId: userId,
      details: { fields: Object.keys(patch) },
    })
    return user!
  })
}
