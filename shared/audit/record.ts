import type { Db } from '../db/sql.ts'

/** Actions of seed 001's AuditAction enum plus the ones Draftdesk adds (logins, settings, CRUD). */
type AuditAction =
  | 'ticket_synced'
  | 'draft_generated'
  | 'draft_regenerated'
  | 'draft_failed'
  | 'draft_rejected'
  | 'reply_approved'
  | 'reply_edited'
  | 'reply_sent'
  | 'correction_flagged'
  | 'kb_indexed'
  | 'kb_article_created'
  | 'kb_article_updated'
  | 'kb_article_deleted'
  | 'prompt_changed'
  | 'ticket_created'
  | 'ticket_updated'
  | 'ticket_escalated'
  | 'message_added'
  | 'login'
  | 'login_failed'
  | 'settings_changed'
  | 'tenant_created'
  | 'tenant_updated'
  | 'user_created'
  | 'user_updated'
  | 'api_key_created'
  | 'api_key_revoked'
  | 'webhook_received'
  | 'sync_requested'
  | 'reply_send_failed'
  | 'calibration_pinned'
  | 'calibration_rolled_back'
  | 'calibration_unpinned'
  | 'calibration_budget_changed'

export interface AuditEntry {
  tenantId: number
  userId?: number | null
  action: AuditAction
  entityType: string
  entityId?: number | null
  details?: Record<string, unknown>
  ticketId?: number | null
  aiReplyId?: number | null
}

/** Writes one audit row; pass the transaction so the entry commits (or not) with the change it records. */
export function audit(sql: Db, e: AuditEntry): Promise<void> {
  return auditMany(sql, [e])
}

/**
 * Writes several audit rows in one statement (in order), in the caller's transaction: for a hot path that
 * records more than one fact about one change (a webhook delivery: the ticket it synced, the event).
 */
export async function auditMany(sql: Db, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return
  const rows = entries.map((e) => ({
    tenant_id: e.tenantId,
    user_id: e.userId ?? null,
    action: e.action,
    entity_type: e.entityType,
    entity_id: e.entityId ?? null,
    details: sql.json((e.details ?? {}) as never),
    ticket_id: e.ticketId ?? null,
    ai_reply_id: e.aiReplyId ?? null,
  }))
  await sql`
    INSERT INTO audit_logs ${sql(rows as never, 'tenant_id', 'user_id', 'action', 'entity_type', 'entity_id', 'details', 'ticket_id', 'ai_reply_id')}`
}

/** Who made a change: the row goes to their tenant and names them. */
export type AuditActor = Pick<AuditEntry, 'tenantId' | 'userId'>

/** {@link audit} for a change made by a signed-in caller (a user, or an API key and its creator). */
export function auditAs(
  sql: Db,
  actor: AuditActor,
  e: Omit<AuditEntry, 'tenantId' | 'userId'>,
): Promise<void> {
  return audit(sql, { ...e, tenantId: actor.tenantId, userId: actor.userId })
}
