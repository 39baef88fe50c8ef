/**
 * An approval that asks for its reply to be posted to WHMCS: the `whmcs_sends` row that the `send` worker
 * (shared/whmcs/send.ts) claims, and its job, both in the approval's transaction.
 */
import type { Db } from '../db/sql.ts'
import { found } from '../errors.ts'
import { enqueueReplySend } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'

/**
 * Records that an approved reply must be posted to WHMCS and queues the `send` job, in the caller's
 * transaction (issue 6's approval). Calling it again for the same approval queues nothing.
 *
 * @returns `queued: false` when a send for this approval already exists
 * @throws NotFoundError when the approved reply is not the tenant's
 */
export async function queueWhmcsSend(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  approvedReplyId: number,
): Promise<{ queued: boolean; jobId?: string }> {
  const [row] = await tx<{ id: number }[]>`
    INSERT INTO whmcs_sends (tenant_id, approved_reply_id)
    SELECT tenant_id, id FROM approved_replies WHERE id = ${approvedReplyId} AND tenant_id = ${tenantId}
    ON CONFLICT (approved_reply_id) DO NOTHING RETURNING id`
  if (!row) {
    found(
      await tx`
        SELECT 1 FROM approved_replies WHERE id = ${approvedReplyId} AND tenant_id = ${tenantId}`,
      'approved reply',
    )
    return { queued: false }
  }
  const job = await enqueueReplySend(tx, jobs, tenantId, approvedReplyId)
  return { queued: true, jobId: job.jobId }
}
