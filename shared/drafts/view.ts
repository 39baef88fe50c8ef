import type { AccountSummary } from '../api/account.ts'
import type { AuthContext } from '../auth/roles.ts'
import type { Db, Sql } from '../db/sql.ts'
import { getTicket, ticketWithThread } from '../tickets/tickets.ts'

/** A draft as agents see it (`GET /tickets/{id}/drafts`, `latestDraft` of a ticket). */
export interface DraftView {
  id: number
  ticketId: number
  messageId: number | null
  reply: string
  /** Calibrated: about this share (in %) of such drafts were right on the evaluation set. */
  confidenceScore: number
  /** The raw points the breakdown adds up to, before calibration. */
  confidenceRaw: number | null
  confidenceBreakdown: unknown
  /** Which calibration (scoring space, thresholds) the draft used. */
  calibration: unknown
  /** ISO 639-1 code of the customer's language, detected on the ticket. */
  language: string | null
  sources: unknown
  escalated: boolean
  escalationReasons: unknown
  intentDetected: string | null
  provider: string
  model: string
  promptVersionId: number | null
  tokensUsed: number | null
  latencyMs: number | null
  status: 'pending' | 'approved' | 'rejected' | 'superseded' | 'sent_as_drafted' | 'sent_edited' | 'replaced'
  trigger: 'auto' | 'regenerate'
  rejectReason: string | null
  /** Where the draft was decided: `api`, `whmcs` (a staff reply or the panel), or null while undecided. */
  reviewChannel: 'api' | 'whmcs' | null
  /** What the draft knew about the customer's WHMCS account; null on drafts made before issue 30. */
  account: AccountSummary | null
  createdAt: Date
}

export const DRAFT_COLUMNS = (sql: Db) => sql`
  id, ticket_id, message_id, ai_reply AS reply, confidence_score, confidence_raw, confidence_breakdown,
  calibration, language,
  reranked_sources AS sources, escalated, escalation_reasons, intent_detected, provider, model,
  prompt_version_id, tokens_used, latency_ms, status, trigger, reject_reason, review_channel,
  account_facts AS account, created_at`

/** Drafts of one ticket, newest first. The caller has already checked the ticket is visible. */
async function listDrafts(sql: Sql, tenantId: number, ticketId: number, limit = 50): Promise<DraftView[]> {
  return sql<DraftView[]>`
    SELECT ${DRAFT_COLUMNS(sql)} FROM ai_replies
    WHERE tenant_id = ${tenantId} AND ticket_id = ${ticketId}
    ORDER BY id DESC LIMIT ${limit}`
}

/**
 * Records that agents saw these drafts, while still pending, in a channel (the API's draft views, the WHMCS panel), once per
 * draft and channel: analytics count "drafts shown" from it.
 */
export async function markDraftsShown(
  sql: Sql,
  tenantId: number,
  draftIds: readonly number[],
  channel: 'api' | 'whmcs',
): Promise<void> {
  if (draftIds.length === 0) return
  if (channel === 'api') {
    await sql`
      UPDATE ai_replies SET shown_api_at = now()
      WHERE tenant_id = ${tenantId} AND id IN ${sql(draftIds)} AND shown_api_at IS NULL
        AND status = 'pending'`
  } else {
    await sql`
      UPDATE ai_replies SET shown_whmcs_at = now()
      WHERE tenant_id = ${tenantId} AND id IN ${sql(draftIds)} AND shown_whmcs_at IS NULL
        AND status = 'pending'`
  }
}

/**
 * `GET /tickets/{id}`: the ticket and its thread as the caller may see them and, for staff, the latest
 * draft, marked as shown through the API.
 */
export async function viewTicket(sql: Sql, auth: AuthContext, ticketId: number) {
  const ticket = await ticketWithThread(sql, auth, ticketId)
  if (auth.role === 'user') return ticket
  const latestDraft = (await listDrafts(sql, auth.tenantId, ticket.id, 1))[0] ?? null
  if (latestDraft) await markDraftsShown(sql, auth.tenantId, [latestDraft.id], 'api')
  return { ...ticket, latestDraft }
}

/**
 * `GET /tickets/{id}/drafts`: a ticket's drafts, newest first, marked as shown through the API. The ticket
 * is loaded through the tenant filter first: another tenant's ticket is a 404, never an empty list.
 */
export async function viewTicketDrafts(sql: Sql, auth: AuthContext, ticketId: number) {
  const ticket = await getTicket(sql, auth, ticketId)
  const items = await listDrafts(sql, auth.tenantId, ticket.id)
  await markDraftsShown(
    sql,
    auth.tenantId,
    items.map((d) => d.id),
    'api',
  )
  return { items }
}
