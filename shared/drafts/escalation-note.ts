/**
 * The internal WHMCS note of an escalated draft: queued in the transaction that stores the draft, posted
 * by the `send` worker (shared/whmcs/send.ts).
 */
import type { Db } from '../db/sql.ts'
import { enqueueNoteSend } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'

/**
 * Queues an internal WHMCS note for an escalated draft, when the tenant turned it on
 * (`settings.whmcsEscalationNotes: true`) and the ticket came from WHMCS. For the draft pipeline to call
 * in the transaction that stores an escalated draft.
 */
export async function queueWhmcsNote(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  aiReplyId: number,
): Promise<{ queued: boolean }> {
  const [ok] = await tx`
    SELECT 1 FROM ai_replies a
    JOIN tickets t ON t.id = a.ticket_id AND t.tenant_id = a.tenant_id
    JOIN tenants tn ON tn.id = a.tenant_id
    WHERE a.id = ${aiReplyId} AND a.tenant_id = ${tenantId} AND a.escalated
      AND t.whmcs_ticket_id IS NOT NULL AND (tn.settings->>'whmcsEscalationNotes')::boolean IS TRUE`
  if (!ok) return { queued: false }
  await enqueueNoteSend(tx, jobs, tenantId, aiReplyId)
  return { queued: true }
}
