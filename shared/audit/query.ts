import { beforeCursor, type Db } from '../db/sql.ts'

/** One audit entry as admins see it: who (user id and email) did what, to what, when. */
export interface AuditView {
  id: number
  action: string
  entityType: string
  entityId: number | null
  details: Record<string, unknown>
  ticketId: number | null
  aiReplyId: number | null
  userId: number | null
  userEmail: string | null
  createdAt: Date
}

export interface AuditFilter {
  entityType?: string
  action?: string
  /** Last id of the previous page (keyset pagination, newest first). */
  cursor?: number
  limit: number
}

/**
 * The tenant's audit log, newest first, `limit + 1` rows for `page()`. Filters use the
 * (tenant_id, action, id) and (tenant_id, entity_type, id) indexes.
 */
export async function listAudit(sql: Db, tenantId: number, f: AuditFilter): Promise<AuditView[]> {
  // The user join is by id only: a superadmin acting on this tenant lives in another tenant, and admins
  // should still see who it was. The rows themselves are filtered by tenant.
  const rows = await sql<(Omit<AuditView, 'id'> & { id: string })[]>`
    SELECT a.id, a.action, a.entity_type, a.entity_id, a.details, a.ticket_id, a.ai_reply_id, a.user_id,
           u.email AS user_email, a.created_at
    FROM audit_logs a
    LEFT JOIN users u ON u.id = a.user_id
    WHERE a.tenant_id = ${tenantId}
      ${f.entityType ? sql`AND a.entity_type = ${f.entityType}` : sql``}
      ${f.action ? sql`AND a.action = ${f.action}` : sql``}
      ${beforeCursor(sql, f.cursor, 'a.id')}
    ORDER BY a.id DESC
    LIMIT ${f.limit + 1}`
  // audit_logs.id is a bigint, which postgres.js returns as a string; ids stay far below 2^53.
  return rows.map((r) => ({ ...r, id: Number(r.id) }))
}
