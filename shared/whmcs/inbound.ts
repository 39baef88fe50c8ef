/**
 * Tickets and messages coming in from WHMCS, by webhook (shared/whmcs/webhook.ts) or by sync. Both
 * paths write through {@link ingestWhmcsThread}, so a reply seen first by the webhook and later by the sync (or
 * the other way round) is stored once: tickets are unique per (tenant, WHMCS ticket id), messages per (ticket,
 * WHMCS reply id). The opening message, which WHMCS keeps on the ticket rather than as a reply, is
 * `open-<ticketid>`.
 */

import type { TicketStatus } from '../api/tickets.ts'
import type { Db } from '../db/sql.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { ACTIVE_STATUSES, fromWhmcsStatus } from '../tickets/status.ts'
import { supersedePendingDrafts } from '../tickets/supersede.ts'
import { queueDraft } from '../tickets/tickets.ts'
import type { WhmcsTicket } from './client.ts'
import { parseWhmcsDate, type WhmcsMessage, whmcsPriorityToDraftdesk } from './mapping.ts'
import { DRAFTDESK_REPLY_MARKER } from './signature.ts'
import { type ReviewedReply, reviewStaffReplies } from './staff-replies.ts'

/** What Draftdesk knows about a WHMCS ticket; absent fields leave the stored value alone. */
export interface WhmcsTicketFields {
  whmcsTicketId: number
  tid?: string
  subject?: string
  /** The opening message; used only when the ticket is created here. */
  content?: string
  /** WHMCS's own status name ("Customer-Reply"). */
  whmcsStatus?: string
  whmcsPriority?: string
  department?: string
  deptId?: number
  clientEmail?: string
  whmcsUserId?: number
  /** The ticket's related service in WHMCS (`S12` a product, `D3` a domain): account facts start there. */
  whmcsService?: string
  /** `lastreply` of GetTicket; only the sync sets it (it drives change detection). */
  lastreply?: string
}

export interface IngestResult {
  ticketId: number
  status: TicketStatus
  created: boolean
  statusChanged: boolean
  messagesAdded: number
  draftQueued: boolean
  draftsSuperseded: number
  /** Staff replies that settled a pending draft (implicit review), in thread order. */
  reviewed: ReviewedReply[]
}

/** External id of the opening message of a WHMCS ticket. */
export const openingMessageId = (whmcsTicketId: number) => `open-${whmcsTicketId}`

/**
 * True for replies Draftdesk posted itself (they carry {@link DRAFTDESK_REPLY_MARKER}, or come from the
 * tenant's Draftdesk admin user). They are already known here as approved replies, so they are never
 * imported again as agent messages, and they do not supersede drafts.
 */
export function isDraftdeskReply(
  message: string,
  admin: string | undefined,
  adminUsername: string | null | undefined,
): boolean {
  if (message.includes(DRAFTDESK_REPLY_MARKER)) return true
  return Boolean(admin && adminUsername && admin.trim().toLowerCase() === adminUsername.trim().toLowerCase())
}

const clip = (value: string | undefined, max: number) =>
  value === undefined ? undefined : value.slice(0, max)

/**
 * Creates or updates the ticket with this WHMCS id (row-locked for the rest of the transaction), in one
 * statement.
 *
 * Status and priority follow WHMCS only when WHMCS's own value changed since Draftdesk last saw it (kept
 * in `metadata_json.whmcsStatus`): WHMCS is the source of truth for what happens in WHMCS, but a sync that
 * merely sees the same "Customer-Reply" again must not undo Draftdesk-only states such as `escalated`.
 * `forceStatus` applies the status anyway (an explicit TicketStatusChange / TicketClose event).
 */
export async function upsertWhmcsTicket(
  tx: Db,
  tenantId: number,
  f: WhmcsTicketFields,
  options: { forceStatus?: boolean } = {},
): Promise<{ id: number; status: TicketStatus; created: boolean; statusChanged: boolean }> {
  const subject = clip(f.subject?.trim() || undefined, 500)
  const department = clip(f.department?.trim() || undefined, 100)
  const tid = clip(f.tid?.trim() || undefined, 64)
  const clientEmail = clip(f.clientEmail?.trim() || undefined, 255)
  const lastreply = clip(f.lastreply, 64)
  const metadata = Object.fromEntries(
    Object.entries({
      whmcsStatus: f.whmcsStatus,
      whmcsPriority: f.whmcsPriority,
      whmcsUserId: f.whmcsUserId,
      whmcsService: f.whmcsService,
      whmcsDeptId: f.deptId,
    }).filter(([, v]) => v !== undefined),
  )

  const status = f.whmcsStatus !== undefined ? fromWhmcsStatus(f.whmcsStatus) : 'open'
  const whmcsStatus = f.whmcsStatus ?? null
  const whmcsPriority = f.whmcsPriority ?? null
  // One statement (this runs once per webhook delivery and per synced ticket): lock the existing row
  // (`current`: FOR UPDATE waits for a concurrent writer and then sees its committed version), update it
  // from what it held, or insert the ticket when there is none. `previous` is the status before.
  const upsert = () => tx<{ id: number; status: TicketStatus; created: boolean; previous: TicketStatus }[]>`
    WITH current AS (
      SELECT id, status, metadata_json->>'whmcsStatus' AS whmcs_status,
             metadata_json->>'whmcsPriority' AS whmcs_priority
      FROM tickets WHERE tenant_id = ${tenantId} AND whmcs_ticket_id = ${f.whmcsTicketId} FOR UPDATE),
    updated AS (
      UPDATE tickets t SET
        subject = coalesce(${subject ?? null}::text, t.subject),
        -- WHMCS is the source of truth for its tickets: its status is taken without the transition table.
        status = CASE WHEN ${whmcsStatus}::text IS NOT NULL
                        AND (${options.forceStatus === true}::boolean
                             OR current.whmcs_status IS DISTINCT FROM ${whmcsStatus}::text)
                      THEN ${status}::text ELSE t.status END,
        priority = CASE WHEN ${whmcsPriority}::text IS NOT NULL
                          AND current.whmcs_priority IS DISTINCT FROM ${whmcsPriority}::text
                        THEN ${whmcsPriorityToDraftdesk(f.whmcsPriority)}::text ELSE t.priority END,
        department = coalesce(${department ?? null}::text, t.department),
        client_email = coalesce(${clientEmail ?? null}::text, t.client_email),
        whmcs_tid = coalesce(${tid ?? null}::text, t.whmcs_tid),
        whmcs_lastreply = coalesce(${lastreply ?? null}::text, t.whmcs_lastreply),
        metadata_json = t.metadata_json || ${tx.json(metadata as never)},
        updated_at = now()
      FROM current WHERE t.id = current.id
      RETURNING t.id, t.status, false AS created, current.status AS previous),
    inserted AS (
      INSERT INTO tickets (tenant_id, subject, content, status, priority, source, department, client_email,
                           whmcs_ticket_id, whmcs_tid, whmcs_lastreply, metadata_json)
      SELECT ${tenantId}::int, ${subject ?? `WHMCS ticket #${tid ?? f.whmcsTicketId}`}::text,
             ${f.content ?? subject ?? ''}::text, ${status}::text,
             ${whmcsPriorityToDraftdesk(f.whmcsPriority)}::text, 'whmcs', ${department ?? null}::text,
             ${clientEmail ?? null}::text, ${f.whmcsTicketId}::int, ${tid ?? null}::text,
             ${lastreply ?? null}::text, ${tx.json(metadata as never)}::jsonb
      WHERE NOT EXISTS (SELECT 1 FROM current)
      ON CONFLICT (tenant_id, whmcs_ticket_id) WHERE whmcs_ticket_id IS NOT NULL DO NOTHING
      RETURNING id, status, true AS created, status AS previous)
    SELECT id, status, created, previous FROM updated
    UNION ALL SELECT id, status, created, previous FROM inserted`
  // Empty only when a concurrent transaction inserted the ticket after this statement's snapshot: the
  // conflict waited for it to commit, so the second attempt (a new snapshot) finds and updates its row.
  const row = (await upsert())[0] ?? (await upsert())[0]
  if (!row) throw new Error(`WHMCS ticket ${f.whmcsTicketId} vanished during upsert`)
  return { id: row.id, status: row.status, created: row.created, statusChanged: row.status !== row.previous }
}

/** Inserts messages not stored yet (dedup on external id); returns the ones inserted, in input order. */
async function insertWhmcsMessages(
  tx: Db,
  tenantId: number,
  ticketId: number,
  messages: readonly WhmcsMessage[],
): Promise<Array<{ id: number; externalId: string; role: 'user' | 'agent' }>> {
  const unique = [...new Map(messages.map((m) => [m.externalId, m])).values()]
  if (unique.length === 0) return []
  const now = new Date()
  const rows = unique.map((m) => ({
    tenant_id: tenantId,
    ticket_id: ticketId,
    role: m.role,
    content: m.content,
    external_id: m.externalId,
    metadata_json: tx.json((m.metadata ?? {}) as never),
    created_at: m.createdAt ?? now,
  }))
  const inserted = await tx<{ id: number; externalId: string; role: 'user' | 'agent' }[]>`
    INSERT INTO messages ${tx(rows as never, 'tenant_id', 'ticket_id', 'role', 'content', 'external_id', 'metadata_json', 'created_at')}
    ON CONFLICT (tenant_id, ticket_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
    RETURNING id, external_id, role`
  const order = new Map(unique.map((m, i) => [m.externalId, i]))
  return inserted.sort((a, b) => order.get(a.externalId)! - order.get(b.externalId)!)
}

/**
 * Stores a WHMCS ticket and (part of) its thread, in the caller's transaction; the jobs it queues (a draft,
 * learning from reviewed staff replies) go into `jobs`, for the caller to publish after commit.
 *
 * `messages` are in thread order and exclude Draftdesk's own replies. When the last of them is a customer
 * message that was new, one draft is queued for it (only the latest: earlier unanswered messages are
 * context, not separate drafts). New staff replies review the pending draft they answer
 * ({@link reviewStaffReplies}); when the last is a new staff reply, or the ticket closed, the drafts still
 * pending are superseded. Closed tickets get no draft.
 */
export async function ingestWhmcsThread(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  fields: WhmcsTicketFields,
  messages: readonly WhmcsMessage[],
  options: { forceStatus?: boolean } = {},
): Promise<IngestResult> {
  const ticket = await upsertWhmcsTicket(tx, tenantId, fields, options)
  const inserted = await insertWhmcsMessages(tx, tenantId, ticket.id, messages)
  const last = messages.at(-1)
  const lastInserted = last ? inserted.find((m) => m.externalId === last.externalId) : undefined
  const closed = !ACTIVE_STATUSES.includes(ticket.status)

  // A ticket created just now has no drafts yet: nothing for its staff replies to review.
  const reviewed = ticket.created
    ? []
    : await reviewStaffReplies(tx, jobs, tenantId, ticket.id, messages, inserted)
  let draftQueued = false
  let draftsSuperseded = 0
  if (lastInserted?.role === 'user' && !closed) {
    await queueDraft(tx, jobs, tenantId, ticket.id, lastInserted.id, 'auto')
    draftQueued = true
  } else if (lastInserted?.role === 'agent' || (closed && ticket.statusChanged)) {
    draftsSuperseded = await supersedePendingDrafts(tx, tenantId, ticket.id)
  }
  return {
    ticketId: ticket.id,
    status: ticket.status,
    created: ticket.created,
    statusChanged: ticket.statusChanged,
    messagesAdded: inserted.length,
    draftQueued,
    draftsSuperseded,
    reviewed,
  }
}

/** Ticket fields of a GetTicket answer (the sync's view of a ticket). */
export function fieldsFromDetail(d: WhmcsTicket): WhmcsTicketFields {
  const opening = d.replies.find((r) => r.replyid === 0)
  return {
    whmcsTicketId: d.ticketid,
    tid: d.tid,
    subject: d.subject,
    content: opening?.message || d.subject,
    whmcsStatus: d.status,
    whmcsPriority: d.priority,
    department: d.deptname || undefined,
    deptId: d.deptid,
    clientEmail: d.email || undefined,
    whmcsUserId: d.userid || undefined,
    whmcsService: relatedService(d.service),
    lastreply: d.lastreply,
  }
}

/** WHMCS's related service of a ticket (`S12`, `D3`), normalised; undefined for none or anything else. */
export function relatedService(value: string | undefined): string | undefined {
  const m = /^\s*([SD])(\d{1,10})\s*$/i.exec(value ?? '')
  return m && Number(m[2]) > 0 ? `${m[1]!.toUpperCase()}${Number(m[2])}` : undefined
}

/**
 * The thread of a GetTicket answer, oldest first (WHMCS's default order), without Draftdesk's own replies
 * and empty entries.
 */
export function messagesFromDetail(d: WhmcsTicket, adminUsername: string | undefined): WhmcsMessage[] {
  return d.replies
    .filter((r) => r.message.trim() !== '' && !isDraftdeskReply(r.message, r.admin, adminUsername))
    .map((r) => ({
      externalId: r.replyid === 0 ? openingMessageId(d.ticketid) : String(r.replyid),
      role: r.admin ? ('agent' as const) : ('user' as const),
      content: r.message,
      createdAt: parseWhmcsDate(r.date),
      metadata: { via: 'sync', ...(r.admin ? { admin: r.admin } : { name: r.name }) },
    }))
}
