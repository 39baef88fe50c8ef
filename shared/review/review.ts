/**
 * Review: agents approve (as is or edited) or reject drafts. An approval is the reply the customer gets
 * (an `agent` message in the thread, optionally posted to WHMCS) and a lesson for retrieval: the `embed`
 * worker indexes it as an `approved_example` or, after a heavy edit, a `correction`.
 */
import type { AiProvider } from '../ai/provider.ts'
import type { TicketStatus } from '../api/tickets.ts'
import { auditAs } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import type { Db, Sql } from '../db/sql.ts'
import { DRAFT_COLUMNS, type DraftView } from '../drafts/view.ts'
import { BadRequestError, ConflictError, found, NotFoundError } from '../errors.ts'
import { whmcsConfigured } from '../identity/tenants.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { collapseDuplicateMarkers } from '../text/citations.ts'
import { canTransition } from '../tickets/status.ts'
import { type ApprovalView, type ReviewChannel, recordApproval } from './approvals.ts'
import { customerReplyOf } from './customer-reply.ts'
import { summariseEdit } from './edit-summary.ts'
import { classifyApproval } from './similarity.ts'
import { queueWhmcsSend } from './whmcs-request.ts'

/** What the review service needs; `ai` only for the optional LLM edit summary. */
export interface ReviewDeps {
  sql: Sql
  ai?: Pick<AiProvider, 'name' | 'chat'>
  /** How long the model may take on an edit summary before the rules' one is used; default 15 s. */
  editSummaryTimeoutMs?: number
}

export interface ApproveInput {
  /** The reply as the agent wants it sent; omitted means the draft as is. */
  finalReply?: string
  sendToWhmcs?: boolean
}

type DraftStatus = DraftView['status']

/** A draft that is no longer pending cannot be reviewed again: 409 saying what happened to it. */
function assertPending(status: DraftStatus): void {
  if (status === 'pending') return
  const why: Record<Exclude<DraftStatus, 'pending'>, string> = {
    approved: 'draft already approved',
    rejected: 'draft already rejected',
    superseded: 'draft superseded by a newer draft or a manual reply',
    sent_as_drafted: 'draft already sent from WHMCS as drafted',
    sent_edited: 'draft already sent from WHMCS with edits',
    replaced: 'draft already answered in WHMCS with another reply',
  }
  throw new ConflictError(why[status], { status })
}

/**
 * Whether a draft may still be approved. A pending one may. A superseded one may while its customer
 * message has no approved reply, no staff member answered it by hand and the customer has not written
 * again: it was superseded by a regeneration, and the agent who edited it on screen must not lose that
 * text to a 409. Approved and rejected drafts never may.
 */
async function assertApprovable(sql: Db, tenantId: number, draft: DraftForReview, status: DraftStatus) {
  if (status !== 'superseded') return assertPending(status)
  const [state] = await sql<{ approved: boolean; staffReplied: boolean; customerWroteAgain: boolean }[]>`
    SELECT
      EXISTS (SELECT 1 FROM approved_replies WHERE tenant_id = ${tenantId} AND ticket_id = ${draft.ticketId}
              AND message_id IS NOT DISTINCT FROM ${draft.messageId}) AS approved,
      EXISTS (SELECT 1 FROM messages WHERE tenant_id = ${tenantId} AND ticket_id = ${draft.ticketId}
              AND role = 'agent' AND id > coalesce(${draft.messageId}::int, 0)) AS staff_replied,
      EXISTS (SELECT 1 FROM messages WHERE tenant_id = ${tenantId} AND ticket_id = ${draft.ticketId}
              AND role = 'user' AND id > coalesce(${draft.messageId}::int, 0)) AS customer_wrote_again`
  const why = state!.approved
    ? 'this customer message already has an approved reply'
    : state!.staffReplied
      ? 'draft superseded by a manual reply'
      : state!.customerWroteAgain
        ? 'draft superseded: the customer wrote again; review the draft of the newest message'
        : null
  if (why) throw new ConflictError(why, { status })
}

interface DraftForReview {
  id: number
  ticketId: number
  messageId: number | null
  aiReply: string
  status: DraftStatus
  whmcsTicketId: number | null
  whmcsConfigured: boolean
}

async function loadDraft(sql: Db, tenantId: number, draftId: number): Promise<DraftForReview> {
  return found(
    await sql<DraftForReview[]>`
      SELECT d.id, d.ticket_id, d.message_id, d.ai_reply, d.status, t.whmcs_ticket_id,
           (${whmcsConfigured(sql, 'tn')}) AS whmcs_configured
      FROM ai_replies d
      JOIN tickets t ON t.id = d.ticket_id AND t.tenant_id = d.tenant_id
      JOIN tenants tn ON tn.id = d.tenant_id
      WHERE d.id = ${draftId} AND d.tenant_id = ${tenantId}`,
    'draft',
  )
}

function assertCanSend(draft: DraftForReview): void {
  if (!draft.whmcsConfigured) {
    throw new BadRequestError(
      'sendToWhmcs: WHMCS is not configured for this tenant (set its URL and API credentials first), ' +
        'or approve without sendToWhmcs',
    )
  }
  if (draft.whmcsTicketId === null) {
    throw new BadRequestError(
      'sendToWhmcs: this ticket did not come from WHMCS, so there is no WHMCS ticket to reply to',
    )
  }
}

/**
 * Approves a draft of the caller's tenant, as is or with the agent's `finalReply`: a pending one, or one
 * superseded by a regeneration while its message is still unanswered (see {@link assertApprovable}).
 * The message's other pending drafts are superseded.
 *
 * In one transaction (ticket row locked first, as the draft worker does, so the two never deadlock):
 * stores `approved_replies` (one per ticket message; a second approval is a 409), marks the draft
 * approved, appends the reply as an `agent` message, moves the ticket to `answered` when the state
 * machine allows it (a resolved or closed ticket keeps its status), queues the `embed` learning job and,
 * with `sendToWhmcs`, the WHMCS reply; audits reply_approved, reply_edited and correction_flagged.
 * The learning (and WHMCS send) jobs go into `jobs`, for the caller to publish after commit.
 *
 * Errors: another tenant's or unknown draft → 404; not approvable → 409; `sendToWhmcs` without a WHMCS
 * connection or WHMCS ticket → 400.
 */
export async function approveDraft(
  deps: ReviewDeps,
  auth: AuthContext,
  draftId: number,
  input: ApproveInput,
  jobs: ClaimedJob[],
): Promise<ApprovalView> {
  const { sql } = deps
  // Checked before the model call so a 404/409/400 costs nothing; re-checked under lock below.
  const draft = await loadDraft(sql, auth.tenantId, draftId)
  await assertApprovable(sql, auth.tenantId, draft, draft.status)
  const sendToWhmcs = input.sendToWhmcs ?? false
  if (sendToWhmcs) assertCanSend(draft)

  // Agents keep the citations; a duplicate adjacent marker ("[1] [1]") is never kept, in either text.
  const drafted = collapseDuplicateMarkers(draft.aiReply)
  const finalReply = collapseDuplicateMarkers(input.finalReply ?? draft.aiReply)
  const review = classifyApproval(drafted, finalReply)
  const { editSummary, summarySource } = await summariseEdit(deps, drafted, finalReply, review)

  return sql.begin(async (tx) => {
    const [ticket] = await tx<{ status: TicketStatus }[]>`
      SELECT status FROM tickets WHERE id = ${draft.ticketId} AND tenant_id = ${auth.tenantId} FOR UPDATE`
    const [locked] = await tx<{ status: DraftStatus }[]>`
      SELECT status FROM ai_replies WHERE id = ${draftId} AND tenant_id = ${auth.tenantId} FOR UPDATE`
    if (!ticket || !locked) throw new NotFoundError('draft')
    await assertApprovable(tx, auth.tenantId, draft, locked.status)

    const ticketStatus: TicketStatus = canTransition(ticket.status, 'answered') ? 'answered' : ticket.status
    const approval = await recordApproval(tx, jobs, {
      tenantId: auth.tenantId,
      ticketId: draft.ticketId,
      messageId: draft.messageId,
      draftId,
      finalReply,
      review,
      editSummary,
      summarySource,
      draftStatus: 'approved',
      channel: 'api',
      approvedBy: auth.userId,
      sendToWhmcs,
      auditDetails: {
        sendToWhmcs,
        previousTicketStatus: ticket.status,
        ticketStatus,
        ...(auth.apiKeyId ? { apiKeyId: auth.apiKeyId } : {}),
      },
    })
    if (!approval) {
      throw new ConflictError('this customer message already has an approved reply', {
        ticketId: draft.ticketId,
        messageId: draft.messageId,
      })
    }
    const { customerReply, agentMessageId } = await answerInThread(
      tx,
      auth,
      draft,
      approval.id,
      finalReply,
      draftId,
    )
    await tx`
      UPDATE tickets SET status = ${ticketStatus}, updated_at = now()
      WHERE id = ${draft.ticketId} AND tenant_id = ${auth.tenantId}`
    if (sendToWhmcs) await queueWhmcsSend(tx, jobs, auth.tenantId, approval.id)
    return { ...approval, learningKind: review.kind, agentMessageId, customerReply, ticketStatus }
  })
}

/**
 * The approved reply as an `agent` message of the thread, linked from its approval. The thread holds what
 * the customer reads (no citation markers); the approval keeps the cited text agents reviewed.
 */
async function answerInThread(
  tx: Db,
  auth: AuthContext,
  draft: { ticketId: number },
  approvalId: number,
  finalReply: string,
  draftId: number,
): Promise<{ customerReply: string; agentMessageId: number }> {
  const customerReply = await customerReplyOf(tx, auth.tenantId, finalReply, draftId)
  const [message] = await tx<{ id: number }[]>`
    INSERT INTO messages (tenant_id, ticket_id, role, content, author_user_id, metadata_json)
    VALUES (${auth.tenantId}, ${draft.ticketId}, 'agent', ${customerReply}, ${auth.userId},
            ${tx.json({ approvedReplyId: approvalId, aiReplyId: draftId })})
    RETURNING id`
  await tx`
    UPDATE approved_replies SET reply_message_id = ${message!.id}
    WHERE id = ${approvalId} AND tenant_id = ${auth.tenantId}`
  return { customerReply, agentMessageId: message!.id }
}

/**
 * Rejects a pending draft of the caller's tenant with a reason (counted in analytics), through the API or
 * the WHMCS panel's *Not helpful* (`channel`). Another tenant's or unknown draft → 404; a draft that is not
 * pending → 409.
 */
export async function rejectDraft(
  sql: Sql,
  auth: AuthContext,
  draftId: number,
  reason: string,
  channel: ReviewChannel = 'api',
): Promise<DraftView> {
  const draft = await loadDraft(sql, auth.tenantId, draftId)
  assertPending(draft.status)
  return sql.begin(async (tx) => {
    // Same lock order as approval and the draft worker: ticket, then draft.
    await tx`SELECT 1 FROM tickets WHERE id = ${draft.ticketId} AND tenant_id = ${auth.tenantId} FOR UPDATE`
    const locked = found(
      await tx<{ status: DraftStatus }[]>`
        SELECT status FROM ai_replies WHERE id = ${draftId} AND tenant_id = ${auth.tenantId} FOR UPDATE`,
      'draft',
    )
    assertPending(locked.status)
    const [rejected] = await tx<DraftView[]>`
      UPDATE ai_replies SET status = 'rejected', reject_reason = ${reason}, review_channel = ${channel},
        updated_at = now()
      WHERE id = ${draftId} AND tenant_id = ${auth.tenantId}
      RETURNING ${DRAFT_COLUMNS(tx)}`
    await auditAs(tx, auth, {
      action: 'draft_rejected',
      entityType: 'ai_reply',
      entityId: draftId,
      ticketId: draft.ticketId,
      aiReplyId: draftId,
      details: { reason, channel },
    })
    return rejected!
  })
}
