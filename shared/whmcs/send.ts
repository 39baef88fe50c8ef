/**
 * Approved replies back into WHMCS (`AddTicketReply`), exactly once per approval, and optional internal
 * notes (`AddTicketNote`) for escalated drafts.
 *
 * Exactly once: every approval sent to WHMCS has one `whmcs_sends` row (created with the approval, in its
 * transaction, by `queueWhmcsSend` in shared/review/whmcs-request.ts). A worker claims the row (`pending`/`failed` → `sending`, with
 * `claimed_at`) in its own short transaction BEFORE calling WHMCS, and marks it `sent` after. A second
 * delivery of the same job finds `sending` or `sent` and does nothing, so SQS duplicates and retries never
 * post twice.
 *
 * The crash window: WHMCS may accept the reply and the worker die (or time out, or lose the answer) before
 * `sent` commits. The row then stays `sending` (or `failed` with "outcome unknown"). Re-posting blindly
 * would answer the customer twice; never retrying would lose the reply. So any attempt after the first
 * reads the ticket back (GetTicket) and looks for the reply first: each posted reply ends with Draftdesk's
 * invisible marker (which the WHMCS hook uses to skip it) followed by the approval id in invisible
 * characters, so the worker can tell "already posted" from "never arrived" and only posts in the second
 * case. A `sending` row is only taken over after {@link SEND_STALE_MS}, far longer than a WHMCS call can
 * take, so the original request cannot still be in flight. What remains: if a WHMCS install strips
 * zero-width characters from replies, the read-back cannot find the tag and a crash in that window can
 * still produce one duplicate; the opposite choice (never retry an unknown outcome) would silently drop
 * replies, which is worse for a support desk.
 */

import { audit } from '../audit/record.ts'
import type { Sql } from '../db/sql.ts'
import type { Deps } from '../deps.ts'
import { loadWhmcsCredentials, type WhmcsCredentials } from '../identity/tenants.ts'
import { logger } from '../logger.ts'
import { customerReplyOf } from '../review/customer-reply.ts'
import type { WhmcsClient, WhmcsClientOptions } from './client.ts'
import { redactCredentials } from './redact.ts'
import { markDraftdeskReply } from './signature.ts'
import { tenantWhmcsClient } from './tenant-client.ts'

/** A `sending` claim older than this belongs to a worker that died; the next delivery re-checks WHMCS. */
const SEND_STALE_MS = 5 * 60_000

export type SendDeps = Pick<Deps, 'sql' | 'dataKey' | 'config'>

export interface SendOptions {
  isLastAttempt?: boolean
  staleMs?: number
  client?: Partial<Omit<WhmcsClientOptions, 'url' | 'identifier' | 'secret' | 'accessKey'>>
}

export type SendOutcome =
  | 'sent'
  | 'already_sent'
  | 'found_in_whmcs'
  | 'in_progress'
  | 'not_found'
  | 'not_linked'
  | 'not_configured'

// ---------------------------------------------------------------------------------------------------
// Reply tag: marker + approval id in invisible characters.

const ZERO = '\u200B' // zero-width space
const ONE = '\u200C' // zero-width non-joiner
const END = '\u2060' // word joiner
const TAG_RE = new RegExp(`\u200B\u2060\u200B\u2060([${ZERO}${ONE}]{1,40})${END}`, 'gu')

/**
 * The message posted to WHMCS: the reply, Draftdesk's marker, and the approval id, all invisible.
 * @internal
 */
export function tagReply(message: string, approvedReplyId: number): string {
  const bits = approvedReplyId
    .toString(2)
    .split('')
    .map((b) => (b === '1' ? ONE : ZERO))
    .join('')
  return `${markDraftdeskReply(message)}${bits}${END}`
}

/**
 * Approval ids tagged in a WHMCS reply (normally one).
 * @internal
 */
export function taggedApprovalIds(message: string): number[] {
  return [...message.matchAll(TAG_RE)].map((m) =>
    Number.parseInt(
      m[1]!
        .split('')
        .map((c) => (c === ONE ? '1' : '0'))
        .join(''),
      2,
    ),
  )
}

// ---------------------------------------------------------------------------------------------------
// The worker side

interface SendRow {
  sendId: number
  status: 'pending' | 'sending' | 'sent' | 'failed'
  finalReply: string
  ticketId: number
  aiReplyId: number | null
  whmcsTicketId: number | null
}

/**
 * Posts one approved reply to WHMCS, at most once (see the module comment). Returns what happened; throws
 * when the attempt failed and should be retried by the queue (the row is then `failed` with the error,
 * which is where users see it once the job is dead-lettered).
 */
export async function sendApprovedReply(
  deps: SendDeps,
  job: { tenantId: number; approvedReplyId: number },
  options: SendOptions = {},
): Promise<SendOutcome> {
  const { sql } = deps
  const { tenantId, approvedReplyId } = job
  const [row] = await sql<SendRow[]>`
    SELECT s.id AS send_id, s.status, ar.final_reply, ar.ticket_id, ar.ai_reply_id, t.whmcs_ticket_id
    FROM whmcs_sends s
    JOIN approved_replies ar ON ar.id = s.approved_reply_id AND ar.tenant_id = s.tenant_id
    JOIN tickets t ON t.id = ar.ticket_id AND t.tenant_id = ar.tenant_id
    WHERE s.tenant_id = ${tenantId} AND s.approved_reply_id = ${approvedReplyId}`
  if (!row) {
    logger.warn('whmcs send: nothing to send', { tenantId, approvedReplyId })
    return 'not_found'
  }
  if (row.status === 'sent') return 'already_sent'
  if (row.whmcsTicketId === null) {
    await giveUp(sql, row.sendId, 'the ticket is not linked to a WHMCS ticket')
    return 'not_linked'
  }
  const creds = await loadWhmcsCredentials(sql, deps.dataKey, tenantId)
  if (!creds) {
    await giveUp(sql, row.sendId, 'WHMCS is not configured for this tenant')
    return 'not_configured'
  }

  // The customer gets the reply without citation markers, with the cited articles listed instead.
  const customerText = await customerReplyOf(sql, tenantId, row.finalReply, row.aiReplyId)
  const claim = await claimSend(sql, tenantId, row.sendId, options.staleMs ?? SEND_STALE_MS)
  if ('busy' in claim) return claim.busy

  const client = newClient(deps, creds, options)
  const whmcsTicketId = row.whmcsTicketId
  try {
    // A previous attempt may have reached WHMCS even though it did not record success: look before posting.
    if (claim.attempts > 1) {
      const ticket = await client.getTicket(whmcsTicketId)
      if (ticket.replies.some((r) => taggedApprovalIds(r.message).includes(approvedReplyId))) {
        await markSent(sql, { tenantId, approvedReplyId, row, attempts: claim.attempts, reconciled: true })
        return 'found_in_whmcs'
      }
    }
    await client.addTicketReply({
      ticketid: whmcsTicketId,
      message: tagReply(customerText, approvedReplyId),
      adminusername: creds.adminUsername,
      markdown: true,
    })
  } catch (error) {
    const message = redactCredentials(error instanceof Error ? error.message : String(error), creds)
    await sql`
      UPDATE whmcs_sends SET status = 'failed', last_error = ${message}, claimed_at = NULL, updated_at = now()
      WHERE id = ${row.sendId} AND status = 'sending'`
    if (options.isLastAttempt) {
      await audit(sql, {
        tenantId,
        action: 'reply_send_failed',
        entityType: 'approved_reply',
        entityId: approvedReplyId,
        ticketId: row.ticketId,
        aiReplyId: row.aiReplyId,
        details: { whmcsTicketId, attempts: claim.attempts, error: message },
      })
    }
    throw new Error(message)
  }
  await markSent(sql, { tenantId, approvedReplyId, row, attempts: claim.attempts, reconciled: false })
  return 'sent'
}

/**
 * Claims a send for this delivery. The claim commits before WHMCS is called: from then on another delivery
 * sees `sending` and backs off, unless the claim is older than `staleMs` (its worker died).
 */
async function claimSend(
  sql: Sql,
  tenantId: number,
  sendId: number,
  staleMs: number,
): Promise<{ attempts: number } | { busy: 'already_sent' | 'in_progress' }> {
  const [claim] = await sql<{ attempts: number }[]>`
    UPDATE whmcs_sends SET status = 'sending', attempts = attempts + 1, claimed_at = now(), updated_at = now()
    WHERE id = ${sendId} AND tenant_id = ${tenantId}
      AND (status IN ('pending', 'failed')
           OR (status = 'sending' AND claimed_at < now() - ${staleMs} * interval '1 millisecond'))
    RETURNING attempts`
  if (claim) return claim
  const [now] = await sql<{ status: string }[]>`SELECT status FROM whmcs_sends WHERE id = ${sendId}`
  return { busy: now?.status === 'sent' ? 'already_sent' : 'in_progress' }
}

async function markSent(
  sql: Sql,
  s: { tenantId: number; approvedReplyId: number; row: SendRow; attempts: number; reconciled: boolean },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      UPDATE whmcs_sends SET status = 'sent', sent_at = now(), last_error = NULL, updated_at = now()
      WHERE id = ${s.row.sendId}`
    await tx`
      INSERT INTO ticket_external_refs (tenant_id, ticket_id, system, external_id, metadata_json)
      VALUES (${s.tenantId}, ${s.row.ticketId}, 'whmcs', ${`reply:${s.approvedReplyId}`},
              ${tx.json({ whmcsTicketId: s.row.whmcsTicketId, approvedReplyId: s.approvedReplyId })})
      ON CONFLICT (tenant_id, system, external_id) DO NOTHING`
    await audit(tx, {
      tenantId: s.tenantId,
      action: 'reply_sent',
      entityType: 'approved_reply',
      entityId: s.approvedReplyId,
      ticketId: s.row.ticketId,
      aiReplyId: s.row.aiReplyId,
      details: { whmcsTicketId: s.row.whmcsTicketId, attempts: s.attempts, foundInWhmcs: s.reconciled },
    })
  })
}

/** A send that no retry can fix (no WHMCS link or connection): record why and stop. */
async function giveUp(sql: Sql, sendId: number, reason: string): Promise<void> {
  await sql`
    UPDATE whmcs_sends SET status = 'failed', last_error = ${reason}, updated_at = now()
    WHERE id = ${sendId} AND status <> 'sent'`
  logger.warn('whmcs send not possible', { sendId, reason })
}

/**
 * Posts an internal note about an escalated draft. Idempotent through `ticket_external_refs`
 * (`note:<aiReplyId>`): a redelivery after success does nothing. A crash between the call and that insert
 * can repeat the note; for a staff-only note that is acceptable, unlike a customer-visible reply.
 */
export async function sendEscalationNote(
  deps: SendDeps,
  job: { tenantId: number; aiReplyId: number },
  options: SendOptions = {},
): Promise<SendOutcome> {
  const { sql } = deps
  const externalId = `note:${job.aiReplyId}`
  const [draft] = await sql<
    {
      ticketId: number
      whmcsTicketId: number | null
      escalationReasons: unknown
      confidenceScore: number
      noted: boolean
    }[]
  >`
    SELECT a.ticket_id, t.whmcs_ticket_id, a.escalation_reasons, a.confidence_score,
           EXISTS (SELECT 1 FROM ticket_external_refs r
                   WHERE r.tenant_id = a.tenant_id AND r.system = 'whmcs' AND r.external_id = ${externalId}) AS noted
    FROM ai_replies a JOIN tickets t ON t.id = a.ticket_id AND t.tenant_id = a.tenant_id
    WHERE a.id = ${job.aiReplyId} AND a.tenant_id = ${job.tenantId}`
  if (!draft) return 'not_found'
  if (draft.noted) return 'already_sent'
  if (draft.whmcsTicketId === null) return 'not_linked'
  const creds = await loadWhmcsCredentials(sql, deps.dataKey, job.tenantId)
  if (!creds) return 'not_configured'
  const reasons = reasonTexts(draft.escalationReasons)
  const message = [
    `Draftdesk escalated this ticket for human review (draft confidence ${Math.round(draft.confidenceScore)}/100).`,
    ...(reasons.length ? ['', 'Reasons:', ...reasons.map((r) => `- ${r}`)] : []),
  ].join('\n')
  try {
    await newClient(deps, creds, options).addTicketNote({
      ticketid: draft.whmcsTicketId,
      message,
      markdown: true,
    })
  } catch (error) {
    throw new Error(redactCredentials(error instanceof Error ? error.message : String(error), creds))
  }
  await sql`
    INSERT INTO ticket_external_refs (tenant_id, ticket_id, system, external_id, metadata_json)
    VALUES (${job.tenantId}, ${draft.ticketId}, 'whmcs', ${externalId}, ${sql.json({ whmcsTicketId: draft.whmcsTicketId })})
    ON CONFLICT (tenant_id, system, external_id) DO NOTHING`
  return 'sent'
}

/** Escalation reasons as text, whatever shape the draft pipeline stored (`{ code, detail }` or strings). */
export function reasonTexts(value: unknown): string[] {
  if (!Array.isArray(value)) return []
  return value
    .map((r) => {
      if (typeof r === 'string') return r
      if (r && typeof r === 'object') {
        const o = r as Record<string, unknown>
        const detail = o.detail ?? o.message ?? o.reason
        if (typeof detail === 'string' && detail) return detail
        if (typeof o.code === 'string') return o.code
      }
      return ''
    })
    .filter((s) => s !== '')
}

function newClient(deps: SendDeps, creds: WhmcsCredentials, options: SendOptions): WhmcsClient {
  return tenantWhmcsClient(deps.config, creds, { timeoutMs: 15_000, retries: 2, ...options.client })
}
