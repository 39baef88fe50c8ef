import type { Db } from '../db/sql.ts'

/**
 * The one rule for retiring drafts nobody needs to review any more: a human answered, the ticket closed,
 * a newer draft was stored, or a draft was approved. Pending drafts of the ticket become `superseded`;
 * `except` keeps the draft that replaces them, `upToMessage` limits it to drafts of that message and
 * earlier ones (a draft for a later customer message still needs its answer). Returns how many changed.
 */
export async function supersedePendingDrafts(
  tx: Db,
  tenantId: number,
  ticketId: number,
  opts: { except?: number; upToMessage?: number | null } = {},
): Promise<number> {
  const rows = await tx`
    UPDATE ai_replies SET status = 'superseded', updated_at = now()
    WHERE tenant_id = ${tenantId} AND ticket_id = ${ticketId} AND status = 'pending'
      ${opts.except === undefined ? tx`` : tx`AND id <> ${opts.except}`}
      ${
        opts.upToMessage === undefined || opts.upToMessage === null
          ? tx``
          : tx`AND (message_id IS NULL OR message_id <= ${opts.upToMessage})`
      }
    RETURNING id`
  return rows.length
}
