/**
 * The one way an approval is recorded, for the API (shared/review/review.ts) and for staff replies sent in
 * WHMCS (shared/whmcs/staff-replies.ts) alike, and the approval as the API returns it.
 */
import type { TicketStatus } from '../api/tickets.ts'
import { audit } from '../audit/record.ts'
import type { Db } from '../db/sql.ts'
import type { DraftView } from '../drafts/view.ts'
import { enqueueApprovedReplyEmbed } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { supersedePendingDrafts } from '../tickets/supersede.ts'
import type { ApprovalClassification } from './similarity.ts'

type DraftStatus = DraftView['status']

/** An `approved_replies` row as the API returns it, plus what the approval did. */
export interface ApprovalView {
  id: number
  ticketId: number
  messageId: number | null
  aiReplyId: number
  finalReply: string
  edited: boolean
  /** Levenshtein similarity ratio of `finalReply` to the draft: 1 = unchanged, 0 = rewritten. */
  editSimilarity: number
  /**
   * @deprecated The same value as `editSimilarity` under the seed's misleading name (it is a similarity,
   * not a distance); kept for clients written against it.
   */
  editDistance: number
  editSummary: string | null
  isCorrection: boolean
  usedForTraining: boolean
  approvedBy: number | null
  sendToWhmcs: boolean
  /** `api`, or `whmcs` for a staff reply sent in WHMCS. */
  channel: ReviewChannel
  /** The WHMCS admin who sent the reply (`whmcs` channel). */
  whmcsAdmin: string | null
  createdAt: Date
  /** How the `embed` worker indexes the approval for retrieval. */
  learningKind: ApprovalClassification['kind']
  /** The `agent` message appended to the thread. */
  agentMessageId: number
  /**
   * The reply as the customer gets it (the thread's agent message, the reply posted to WHMCS): `finalReply`
   * without citation markers, the cited KB articles listed under "References:".
   */
  customerReply: string
  ticketStatus: TicketStatus
}

/** Where an approval came from: the API (`POST /drafts/{id}/approve`) or a staff reply sent in WHMCS. */
export type ReviewChannel = 'api' | 'whmcs'

/** What {@link recordApproval} stores; the caller has locked the ticket and the pending draft. */
export interface ApprovalRecord {
  tenantId: number
  ticketId: number
  /** The customer message answered: at most one approval per (ticket, message). */
  messageId: number | null
  draftId: number
  /** The reply as sent. */
  finalReply: string
  review: ApprovalClassification
  editSummary: string | null
  summarySource: 'rules' | 'llm' | null
  /** The draft's new status: `approved` (API) or its WHMCS outcome. */
  draftStatus: Exclude<DraftStatus, 'pending' | 'rejected' | 'superseded'>
  channel: ReviewChannel
  approvedBy: number | null
  sendToWhmcs: boolean
  /** The WHMCS admin who sent the reply. */
  whmcsAdmin?: string | null
  /** The agent message that is the sent reply, when it exists already (a WHMCS reply). */
  replyMessageId?: number | null
  /** What the embed worker indexes instead of finalReply (null = finalReply). */
  learningText?: string | null
  /** Merged into the `reply_approved` audit entry. */
  auditDetails?: Record<string, unknown>
}

export type ApprovalRow = Omit<
  ApprovalView,
  'learningKind' | 'agentMessageId' | 'ticketStatus' | 'customerReply'
>

/**
 * The one code path that records an approval, for the API and for WHMCS staff replies alike, inside the
 * caller's transaction: the `approved_replies` row (unique per ticket message: returns null, changing
 * nothing, when the message already has one), the draft's status and review channel, the `embed` learning
 * job (≥ 0.7 similar → approved_example, else correction), and the audit entries reply_approved,
 * reply_edited and correction_flagged. Thread message, ticket status and WHMCS send are the caller's.
 */
export async function recordApproval(
  tx: Db,
  jobs: ClaimedJob[],
  r: ApprovalRecord,
): Promise<ApprovalRow | null> {
  // The column keeps the seed's name `edit_distance` (renaming it would break the seed's readers), but it
  // holds the similarity ratio (1 = unchanged): the API answers it as `editSimilarity`.
  // The unique (ticket_id, message_id) constraint is the one-approval-per-message rule; DO NOTHING turns
  // a lost race (two drafts of one message approved at once, a reply seen twice) into a clean null.
  const [approval] = await tx<ApprovalRow[]>`
    INSERT INTO approved_replies (tenant_id, ticket_id, message_id, ai_reply_id, final_reply, edited,
      edit_distance, edit_summary, is_correction, approved_by, send_to_whmcs, channel, whmcs_admin,
      reply_message_id, learning_text)
    VALUES (${r.tenantId}, ${r.ticketId}, ${r.messageId}, ${r.draftId}, ${r.finalReply},
      ${r.review.edited}, ${r.review.editDistance}, ${r.editSummary}, ${r.review.isCorrection},
      ${r.approvedBy}, ${r.sendToWhmcs}, ${r.channel}, ${r.whmcsAdmin?.slice(0, 255) ?? null},
      ${r.replyMessageId ?? null}, ${r.learningText ?? null})
    ON CONFLICT DO NOTHING
    RETURNING id, ticket_id, message_id, ai_reply_id, final_reply, edited, edit_distance AS edit_similarity,
      edit_distance, edit_summary, is_correction, used_for_training, approved_by, send_to_whmcs, channel,
      whmcs_admin, created_at`
  if (!approval) return null
  await tx`
    UPDATE ai_replies SET status = ${r.draftStatus}, review_channel = ${r.channel}, updated_at = now()
    WHERE id = ${r.draftId} AND tenant_id = ${r.tenantId}`
  // This message (and any earlier one) is answered: its other drafts, e.g. a regeneration, are moot.
  await supersedePendingDrafts(tx, r.tenantId, r.ticketId, { upToMessage: r.messageId })
  await enqueueApprovedReplyEmbed(tx, jobs, r.tenantId, approval.id)

  const common = {
    tenantId: r.tenantId,
    userId: r.approvedBy,
    entityType: 'approved_reply',
    entityId: approval.id,
    ticketId: r.ticketId,
    aiReplyId: r.draftId,
  }
  const via = { channel: r.channel, ...(r.whmcsAdmin ? { whmcsAdmin: r.whmcsAdmin } : {}) }
  await audit(tx, {
    ...common,
    action: 'reply_approved',
    details: {
      edited: r.review.edited,
      similarity: r.review.similarity,
      learningKind: r.review.kind,
      outcome: r.draftStatus,
      ...via,
      ...r.auditDetails,
    },
  })
  if (r.review.edited) {
    await audit(tx, {
      ...common,
      action: 'reply_edited',
      details: {
        similarity: r.review.similarity,
        editSummary: r.editSummary,
        summarySource: r.summarySource,
        ...via,
      },
    })
  }
  if (r.review.isCorrection) {
    await audit(tx, {
      ...common,
      action: 'correction_flagged',
      details: { similarity: r.review.similarity, ...via },
    })
  }
  return approval
}
