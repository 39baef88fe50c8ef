/**
 * Implicit review (issue 10): a staff reply sent in WHMCS that answers a customer message with a pending
 * draft is what the agent did with that draft. It is compared with the draft (shared/review/sent-reply.ts)
 * and recorded through the same {@link recordApproval} core as an API approval: an `approved_replies` row
 * with channel `whmcs` and the admin's name, the draft's outcome as its status, learning and audit.
 *
 * Both inbound paths (webhook and sync) call this from {@link ingestWhmcsThread} for the staff replies they
 * newly stored. A reply is stored once per WHMCS reply id, and the approval once per customer message, so
 * the same reply arriving twice, by either path, records once. Draftdesk's own replies never get here
 * (they are filtered before ingest), so an approval posted with `sendToWhmcs` is not recorded again.
 */
import type { Db } from '../db/sql.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { recordApproval } from '../review/approvals.ts'
import { compareSentReply, plainReply, type SentOutcome } from '../review/sent-reply.ts'
import { withoutReferences } from '../text/citations.ts'
import type { WhmcsMessage } from './mapping.ts'

interface StaffReply {
  /** The stored `agent` message. */
  messageId: number
  /** WHMCS reply id (messages.external_id). */
  externalId: string
  content: string
  admin?: string
  via: 'webhook' | 'sync'
}

export interface ReviewedReply {
  outcome: SentOutcome
  similarity: number
  approvedReplyId: number
  draftId: number
}

/**
 * The customer message a staff reply answers: the nearest earlier customer message of the thread the
 * caller stored (the sync passes the whole thread), else the latest customer message stored before it
 * (the webhook passes only the reply).
 */
async function answeredMessageId(
  tx: Db,
  tenantId: number,
  ticketId: number,
  thread: ReadonlyArray<{ externalId: string; role: 'user' | 'agent' }>,
  reply: { externalId: string; messageId: number },
): Promise<number | null> {
  const at = thread.findIndex((m) => m.externalId === reply.externalId)
  for (let i = at - 1; i >= 0; i--) {
    const m = thread[i]!
    if (m.role !== 'user') continue
    const [row] = await tx<{ id: number }[]>`
      SELECT id FROM messages
      WHERE tenant_id = ${tenantId} AND ticket_id = ${ticketId} AND external_id = ${m.externalId}`
    return row?.id ?? null
  }
  const [row] = await tx<{ id: number }[]>`
    SELECT id FROM messages
    WHERE tenant_id = ${tenantId} AND ticket_id = ${ticketId} AND role = 'user' AND id < ${reply.messageId}
    ORDER BY id DESC LIMIT 1`
  return row?.id ?? null
}

/**
 * Records what the agent did with the pending draft of the customer message `answers`, in the caller's
 * transaction (which holds the ticket's row lock, as the draft worker and API approvals take it first).
 *
 * @returns null when that message has no pending draft (the reply stays a plain agent message) or already
 *   has an approval
 */
async function reviewStaffReply(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  ticketId: number,
  answers: number | null,
  reply: StaffReply,
): Promise<ReviewedReply | null> {
  if (answers === null) return null
  const [draft] = await tx<{ id: number; aiReply: string }[]>`
    SELECT id, ai_reply FROM ai_replies
    WHERE tenant_id = ${tenantId} AND ticket_id = ${ticketId} AND message_id = ${answers} AND status = 'pending'
    ORDER BY id DESC LIMIT 1 FOR UPDATE`
  if (!draft) return null
  // The agent may have sent the draft as Insert draft gives it (no markers, a References list) or with its
  // markers: compared without either, both forms of an unchanged draft are sent as drafted.
  const sent = plainReply(reply.content)
  const compared = compareSentReply(withoutReferences(draft.aiReply), withoutReferences(sent))
  const { review } = compared
  const approval = await recordApproval(tx, jobs, {
    tenantId,
    ticketId,
    messageId: answers,
    draftId: draft.id,
    finalReply: sent,
    review,
    editSummary: review.editSummary,
    summarySource: review.edited ? 'rules' : null,
    draftStatus: compared.outcome,
    channel: 'whmcs',
    approvedBy: null,
    sendToWhmcs: false,
    whmcsAdmin: reply.admin ?? null,
    replyMessageId: reply.messageId,
    learningText: compared.core !== sent ? compared.core : null,
    auditDetails: { via: reply.via, whmcsReplyId: reply.externalId },
  })
  if (!approval) return null
  await tx`
    UPDATE messages SET metadata_json = metadata_json || ${tx.json({ approvedReplyId: approval.id, aiReplyId: draft.id })}
    WHERE id = ${reply.messageId} AND tenant_id = ${tenantId}`
  return {
    outcome: compared.outcome,
    similarity: review.similarity,
    approvedReplyId: approval.id,
    draftId: draft.id,
  }
}

/**
 * Reviews every staff reply of `inserted` (the messages of `thread` just stored) against the pending draft
 * of the customer message it answers, in thread order.
 */
export async function reviewStaffReplies(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  ticketId: number,
  thread: readonly WhmcsMessage[],
  inserted: ReadonlyArray<{ id: number; externalId: string; role: 'user' | 'agent' }>,
): Promise<ReviewedReply[]> {
  const reviewed: ReviewedReply[] = []
  if (!inserted.some((m) => m.role === 'agent')) return reviewed
  // One query decides for most threads (a first import, a ticket without drafts): nothing to review.
  const [pending] = await tx`
    SELECT 1 FROM ai_replies WHERE tenant_id = ${tenantId} AND ticket_id = ${ticketId} AND status = 'pending' LIMIT 1`
  if (!pending) return reviewed
  for (const stored of inserted) {
    if (stored.role !== 'agent') continue
    const message = thread.find((m) => m.externalId === stored.externalId)!
    const reply = { messageId: stored.id, externalId: stored.externalId }
    const answers = await answeredMessageId(tx, tenantId, ticketId, thread, reply)
    const admin = message.metadata?.admin
    const review = await reviewStaffReply(tx, jobs, tenantId, ticketId, answers, {
      ...reply,
      content: message.content,
      admin: typeof admin === 'string' ? admin : undefined,
      via: message.metadata?.via === 'sync' ? 'sync' : 'webhook',
    })
    if (review) reviewed.push(review)
  }
  return reviewed
}
