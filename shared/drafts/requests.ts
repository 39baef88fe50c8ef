/**
 * Draft jobs around the pipeline in drafting.ts: asking for a new draft, the "already answered" rule both
 * the request and the worker apply, and recording a job that failed for good.
 */

import type { TicketStatus } from '../api/tickets.ts'
import { audit } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import type { Db, Sql } from '../db/sql.ts'
import { ConflictError, found } from '../errors.ts'
import type { DraftJob } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { clip } from '../text/fold.ts'
import { queueDraft } from '../tickets/tickets.ts'
import type { DraftOutcome } from './types.ts'

const MAX_ERROR_CHARS = 1000

const clipError = (error: unknown) =>
  clip(error instanceof Error ? error.message : String(error), MAX_ERROR_CHARS)

/** True when this customer message (null: a ticket without one) already has its approved reply. */
export async function hasApprovedReply(
  sql: Db,
  tenantId: number,
  ticketId: number,
  messageId: number | null,
): Promise<boolean> {
  const rows = await sql`
    SELECT 1 FROM approved_replies
    WHERE tenant_id = ${tenantId} AND ticket_id = ${ticketId} AND message_id IS NOT DISTINCT FROM ${messageId}`
  return rows.length > 0
}

/** A skipped job leaves the ticket showing its (approved) draft rather than "queued" for ever. */
export async function skipAnswered(sql: Sql, tenantId: number, ticketId: number): Promise<DraftOutcome> {
  await sql`
    UPDATE tickets SET draft_state = 'ready'
    WHERE id = ${ticketId} AND tenant_id = ${tenantId} AND draft_state = 'queued'`
  return { status: 'skipped', reason: 'already_approved' }
}

/**
 * Records a draft job that has failed for good where agents see it: `draft_state = 'failed'` with the
 * error on the ticket, and a `draft_failed` audit entry. Does nothing if the job did produce its draft.
 */
export async function markDraftFailed(sql: Sql, job: DraftJob, error: unknown): Promise<void> {
  const message = clipError(error)
  await sql.begin(async (tx) => {
    const [ticket] = await tx<{ id: number }[]>`
      UPDATE tickets SET draft_state = 'failed', draft_error = ${message}, updated_at = now()
      WHERE id = ${job.ticketId} AND tenant_id = ${job.tenantId}
        AND NOT EXISTS (SELECT 1 FROM ai_replies WHERE tenant_id = ${job.tenantId} AND request_id = ${job.jobId})
      RETURNING id`
    if (!ticket) return
    await audit(tx, {
      tenantId: job.tenantId,
      userId: job.userId,
      action: 'draft_failed',
      entityType: 'ticket',
      entityId: ticket.id,
      ticketId: ticket.id,
      details: { jobId: job.jobId, trigger: job.trigger, messageId: job.messageId, error: message },
    })
  })
}

/**
 * Queues a new draft for the ticket's latest customer message (`POST /tickets/{id}/drafts`). The ticket
 * must be visible in the caller's tenant (else 404); a closed ticket, or a latest message that already has
 * an approved reply, is a 409, since the worker would skip it anyway (it re-checks under the ticket lock,
 * so a regeneration queued just before an approval commits stores nothing either).
 */
export async function requestRegeneration(
  sql: Sql,
  auth: AuthContext,
  ticketId: number,
  jobs: ClaimedJob[],
): Promise<{ queued: true; jobId: string }> {
  return sql.begin(async (tx) => {
    const ticket = found(
      await tx<{ status: TicketStatus }[]>`
        SELECT status FROM tickets WHERE id = ${ticketId} AND tenant_id = ${auth.tenantId} FOR UPDATE`,
      'ticket',
    )
    if (ticket.status === 'closed')
      throw new ConflictError('the ticket is closed; reopen it to draft a reply')
    const [latest] = await tx<{ id: number }[]>`
      SELECT id FROM messages
      WHERE tenant_id = ${auth.tenantId} AND ticket_id = ${ticketId} AND role = 'user'
      ORDER BY id DESC LIMIT 1`
    if (await hasApprovedReply(tx, auth.tenantId, ticketId, latest?.id ?? null)) {
      throw new ConflictError(
        'the latest customer message already has an approved reply; a new draft is made when the customer writes again',
        { reason: 'already_approved', messageId: latest?.id ?? null },
      )
    }
    const job = await queueDraft(
      tx,
      jobs,
      auth.tenantId,
      ticketId,
      latest?.id ?? null,
      'regenerate',
      auth.userId,
    )
    return { queued: true as const, jobId: job.jobId }
  })
}
