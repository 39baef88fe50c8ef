import { randomBytes } from 'node:crypto'
import { auditAs } from '../audit/record.ts'
import { hashApiKey } from '../auth/authenticate.ts'
import type { AuthContext, Role } from '../auth/roles.ts'
import { type Db, type Sql, tenantPage } from '../db/sql.ts'
import { NotFoundError } from '../errors.ts'

export interface ApiKeyView {
  id: number
  name: string
  prefix: string
  role: Role
  lastUsedAt: Date | null
  revokedAt: Date | null
  createdAt: Date
}

const COLUMNS = (sql: Db) => sql`id, name, prefix, role, last_used_at, revoked_at, created_at`

/** Creates a key `ddk_<32 random bytes>`; only its SHA-256 is stored, so it is shown exactly once. */
export async function createApiKey(sql: Sql, actor: AuthContext, input: { name: string; role: Role }) {
  const key = `ddk_${randomBytes(32).toString('base64url')}`
  return sql.begin(async (tx) => {
    const [row] = await tx<ApiKeyView[]>`
      INSERT INTO api_keys (tenant_id, name, prefix, key_hash, role, created_by)
      VALUES (${actor.tenantId}, ${input.name}, ${key.slice(0, 12)}, ${hashApiKey(key)}, ${input.role}, ${actor.userId})
      RETURNING ${COLUMNS(tx)}`
    await auditAs(tx, actor, {
      action: 'api_key_created',
      entityType: 'api_key',
      entityId: row!.id,
      details: { name: input.name, role: input.role },
    })
    return { ...row!, key }
  })
}

export function listApiKeys(sql: Db, tenantId: number, cursor: number | undefined, limit: number) {
  return tenantPage<ApiKeyView>(sql, 'api_keys', COLUMNS(sql), { tenantId, cursor, limit })
}

export async function revokeApiKey(sql: Sql, actor: AuthContext, keyId: number): Promise<void> {
  await sql.begin(async (tx) => {
    const rows = await tx`
      UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
      WHERE id = ${keyId} AND tenant_id = ${actor.tenantId} RETURNING id`
    if (rows.length === 0) throw new NotFoundError('API key')
    await auditAs(tx, actor, {
      action: 'api_key_revoked',
      entityType: 'api_key',
      entityId: keyId,
    })
  })
}
