import { audit } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import { decryptSecret, encryptSecret, randomToken } from '../crypto.ts'
import { beforeCursor, type Db, definedOnly, type Sql } from '../db/sql.ts'
import { ConflictError, found, NotFoundError, ValidationError } from '../errors.ts'
import { checkUrl, type OutboundPolicy, OutboundRefusedError } from '../http/outbound-policy.ts'

/** A tenant as the API shows it: WHMCS secrets are write-only and never leave the database. */
export interface TenantView {
  id: number
  name: string
  slug: string
  settings: Record<string, unknown>
  isActive: boolean
  whmcsUrl: string | null
  whmcsAdminUsername: string | null
  whmcsConfigured: boolean
  createdAt: Date
  updatedAt: Date
}

/**
 * "WHMCS is configured" as a SQL condition on `tenants` (aliased `table` when the query joins it): a URL
 * and both API credentials set; the access key is optional. The one definition every query uses.
 */
export const whmcsConfigured = (sql: Db, table = 'tenants') => sql`
  ${sql(`${table}.whmcs_url`)} IS NOT NULL AND ${sql(`${table}.whmcs_api_identifier`)} IS NOT NULL
  AND ${sql(`${table}.whmcs_api_secret`)} IS NOT NULL`

const VIEW_COLUMNS = (sql: Db) => sql`
  id, name, slug, settings, is_active, whmcs_url, whmcs_admin_username,
  (${whmcsConfigured(sql)}) AS whmcs_configured,
  created_at, updated_at`

const newWebhookSecret = () => `whsec_${randomToken(24)}`

export async function createTenant(
  sql: Sql,
  dataKey: Buffer,
  actor: AuthContext | null,
  input: { name: string; slug: string },
): Promise<TenantView & { webhookSecret: string }> {
  const webhookSecret = newWebhookSecret()
  return sql.begin(async (tx) => {
    const [row] = await tx<TenantView[]>`
      INSERT INTO tenants (name, slug, webhook_secret)
      VALUES (${input.name}, ${input.slug}, ${encryptSecret(webhookSecret, dataKey)})
      ON CONFLICT DO NOTHING
      RETURNING ${VIEW_COLUMNS(tx)}`
    if (!row) throw new ConflictError('a tenant with this name or slug already exists')
    await audit(tx, {
      tenantId: row.id,
      userId: actor?.userId,
      action: 'tenant_created',
      entityType: 'tenant',
      entityId: row.id,
      details: { slug: row.slug },
    })
    return { ...row, webhookSecret }
  })
}

export async function listTenants(
  sql: Sql,
  cursor: number | undefined,
  limit: number,
): Promise<TenantView[]> {
  return sql<TenantView[]>`
    SELECT ${VIEW_COLUMNS(sql)} FROM tenants
    WHERE true ${beforeCursor(sql, cursor)}
    ORDER BY id DESC LIMIT ${limit + 1}`
}

export interface TenantPatch {
  name?: string
  isActive?: boolean
  settings?: Record<string, unknown>
  whmcsUrl?: string | null
  whmcsIdentifier?: string
  whmcsSecret?: string
  whmcsAccessKey?: string | null
  whmcsAdminUsername?: string | null
}

/**
 * Applies a tenant patch. A `whmcsUrl` whose host is a refused address (`whmcs`: the process's WHMCS
 * policy) is a 400 on `whmcsUrl`: a convenience, since host names are only checked when connecting.
 */
export async function updateTenant(
  sql: Sql,
  dataKey: Buffer,
  actor: AuthContext,
  tenantId: number,
  patch: TenantPatch,
  whmcs: OutboundPolicy,
): Promise<TenantView> {
  if (patch.whmcsUrl) refuseUnreachable(patch.whmcsUrl, whmcs)
  const enc = (v: string | null | undefined) => (v == null ? v : encryptSecret(v, dataKey))
  const set = definedOnly({
    name: patch.name,
    is_active: patch.isActive,
    settings: patch.settings === undefined ? undefined : sql.json(patch.settings as never),
    whmcs_url: patch.whmcsUrl === undefined ? undefined : (patch.whmcsUrl?.replace(/\/+$/, '') ?? null),
    whmcs_api_identifier: enc(patch.whmcsIdentifier),
    whmcs_api_secret: enc(patch.whmcsSecret),
    whmcs_access_key: enc(patch.whmcsAccessKey),
    whmcs_admin_username: patch.whmcsAdminUsername,
    updated_at: new Date(),
  })
  return sql.begin(async (tx) => {
    const row = found(
      await tx<TenantView[]>`
        UPDATE tenants SET ${tx(set)}
        WHERE id = ${tenantId}
        RETURNING ${VIEW_COLUMNS(tx)}`,
      'tenant',
    )
    // Log which fields changed, never their values: some are credentials.
    await audit(tx, {
      tenantId,
      userId: actor.userId,
      action: 'tenant_updated',
      entityType: 'tenant',
      entityId: tenantId,
      details: { fields: Object.keys(patch) },
    })
    return row
  })
}

/** The save-time half of the SSRF guard (shared/http/outbound.ts checks every connection). */
function refuseUnreachable(url: string, policy: OutboundPolicy): void {
  try {
    checkUrl(url, policy)
  } catch (error) {
    if (!(error instanceof OutboundRefusedError) && !(error instanceof TypeError)) throw error
    const message = error instanceof OutboundRefusedError ? error.message : 'not a URL'
    throw new ValidationError([{ in: 'body', path: 'whmcsUrl', message }], `whmcsUrl ${message}`)
  }
}

export async function rotateWebhookSecret(
  sql: Sql,
  dataKey: Buffer,
  actor: AuthContext,
  tenantId: number,
): Promise<{ webhookSecret: string }> {
  const webhookSecret = newWebhookSecret()
  const rows = await sql`
    UPDATE tenants SET webhook_secret = ${encryptSecret(webhookSecret, dataKey)}, updated_at = now()
    WHERE id = ${tenantId} RETURNING id`
  if (rows.length === 0) throw new NotFoundError('tenant')
  await audit(sql, {
    tenantId,
    userId: actor.userId,
    action: 'settings_changed',
    entityType: 'tenant',
    entityId: tenantId,
    details: { rotated: 'webhook_secret' },
  })
  return { webhookSecret }
}

/** Decrypted WHMCS connection of a tenant, for the sync and send workers only (kept in memory). */
export interface WhmcsCredentials {
  url: string
  identifier: string
  secret: string
  accessKey?: string
  adminUsername?: string
}

export async function loadWhmcsCredentials(
  sql: Sql,
  dataKey: Buffer,
  tenantId: number,
): Promise<WhmcsCredentials | null> {
  const [t] = await sql<
    {
      whmcsUrl: string | null
      whmcsApiIdentifier: string | null
      whmcsApiSecret: string | null
      whmcsAccessKey: string | null
      whmcsAdminUsername: string | null
    }[]
  >`SELECT whmcs_url, whmcs_api_identifier, whmcs_api_secret, whmcs_access_key, whmcs_admin_username
    FROM tenants WHERE id = ${tenantId} AND is_active`
  if (!t?.whmcsUrl || !t.whmcsApiIdentifier || !t.whmcsApiSecret) return null
  return {
    url: t.whmcsUrl,
    identifier: decryptSecret(t.whmcsApiIdentifier, dataKey),
    secret: decryptSecret(t.whmcsApiSecret, dataKey),
    ...(t.whmcsAccessKey ? { accessKey: decryptSecret(t.whmcsAccessKey, dataKey) } : {}),
    ...(t.whmcsAdminUsername ? { adminUsername: t.whmcsAdminUsername } : {}),
  }
}
