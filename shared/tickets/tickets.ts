import type { z } from 'zod'
import {
  customerMessage,
  customerTicket,
  customerTicketDetail,
  type Priority,
  type TicketStatus,
} from '../api/tickets.ts'
import { auditAs } from '../audit/record.ts'
import type { AuthContext } from '../auth/roles.ts'
import { beforeCursor, type Db, definedOnly, likeContains, type Sql } from '../db/sql.ts'
import { BadRequestError, ForbiddenError, found, ValidationError } from '../errors.ts'
import { enqueueDraft } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { assertTransition, publicStatus, statusesShownAs } from './status.ts'
import { supersedePendingDrafts } from './supersede.ts'

export interface TicketView {
  id: number
  tenantId: number
  subject: string
  content: string
  status: TicketStatus
  priority: Priority
  source: string
  department: string | null
  clientEmail: string | null
  assignedTo: number | null
  createdById: number | null
  whmcsTicketId: number | null
  whmcsTid: string | null
  draftState: 'queued' | 'ready' | 'failed' | null
  draftError: string | null
  createdAt: Date
  updatedAt: Date
}

export interface MessageView {
  id: number
  ticketId: number
  role: 'user' | 'assistant' | 'system' | 'agent'
  content: string
  authorUserId: number | null
  externalId: string | null
  createdAt: Date
}

const TICKET_COLUMNS = (sql: Db, alias = sql`tickets`) => sql`
  ${alias}.id, ${alias}.tenant_id, ${alias}.subject, ${alias}.content, ${alias}.status, ${alias}.priority,
  ${alias}.source, ${alias}.department, ${alias}.client_email, ${alias}.assigned_to, ${alias}.created_by_id,
  ${alias}.whmcs_ticket_id, ${alias}.whmcs_tid, ${alias}.draft_state, ${alias}.draft_error,
  ${alias}.created_at, ${alias}.updated_at`

/** Customers (`user` role) see only the tickets they opened; staff see the whole tenant. */
const visibleTo = (sql: Db, auth: AuthContext) =>
  auth.role === 'user' ? sql`AND t.created_by_id = ${auth.userId}` : sql``

const isCustomer = (auth: AuthContext) => auth.role === 'user'

/**
 * A ticket as its caller may see it: staff get the row, a customer the public view (status mapped, triage
 * such as draft state and error dropped by the schema, which keeps only the keys it names).
 */
export function ticketFor<T extends TicketView>(
  auth: AuthContext,
  ticket: T,
): T | z.output<typeof customerTicket> {
  return isCustomer(auth) ? customerTicket.parse({ ...ticket, status: publicStatus(ticket.status) }) : ticket
}

/** A message as its caller may see it (customers: no author id, no WHMCS id). */
export function messageFor(auth: AuthContext, message: MessageView) {
  return isCustomer(auth) ? customerMessage.parse(message) : message
}

/** Queues a draft for a customer message and marks the ticket as waiting for it (same transaction). */
export async function queueDraft(
  tx: Db,
  jobs: ClaimedJob[],
  tenantId: number,
  ticketId: number,
  messageId: number | null,
  trigger: 'auto' | 'regenerate',
  userId: number | null = null,
) {
  // The ticket's mark and the job in one statement: one round trip on the webhook's hot path.
  return enqueueDraft(
    tx,
    jobs,
    { tenantId, ticketId, messageId, trigger, userId },
    tx`UPDATE tickets SET draft_state = 'queued', draft_error = NULL WHERE id = ${ticketId} AND tenant_id = ${tenantId}`,
  )
}

/**
 * A customer's ticket always carries the customer's own account email: staff may file on a client's
 * behalf, a customer may not file under someone else's address. Naming another email is a 400 rather
 * than silently replaced, so a client that sends it learns the field is not theirs to set.
 */
async function ownEmail(tx: Db, auth: AuthContext, requested: string | undefined): Promise<string | null> {
  const [me] = await tx<{ email: string }[]>`
    SELECT email FROM users WHERE id = ${auth.userId} AND tenant_id = ${auth.tenantId}`
  const own = me?.email ?? null
  if (requested !== undefined && requested.toLowerCase() !== own?.toLowerCase()) {
    throw new ValidationError(
      [
        {
          in: 'body',
          path: 'clientEmail',
          message: 'a customer can only file tickets under their own email',
        },
      ],
      'clientEmail must be your own account email',
    )
  }
  return own
}

export async function createTicket(
  sql: Sql,
  auth: AuthContext,
  input: { subject: string; content: string; priority: Priority; department?: string; clientEmail?: string },
  jobs: ClaimedJob[],
): Promise<TicketView> {
  return sql.begin(async (tx) => {
    const clientEmail = auth.role === 'user' ? await ownEmail(tx, auth, input.clientEmail) : input.clientEmail
    const [ticket] = await tx<TicketView[]>`
      INSERT INTO tickets (tenant_id, subject, content, priority, department, client_email, source, created_by_id)
      VALUES (${auth.tenantId}, ${input.subject}, ${input.content}, ${input.priority}, ${input.department ?? null},
              ${clientEmail ?? null}, ${auth.kind === 'api_key' ? 'api' : 'web'}, ${auth.userId})
      RETURNING ${TICKET_COLUMNS(tx)}`
    const [message] = await tx<{ id: number }[]>`
      INSERT INTO messages (tenant_id, ticket_id, role, content, author_user_id)
      VALUES (${auth.tenantId}, ${ticket!.id}, 'user', ${input.content}, ${auth.userId}) RETURNING id`
    await queueDraft(tx, jobs, auth.tenantId, ticket!.id, message!.id, 'auto')
    await auditAs(tx, auth, {
      action: 'ticket_created',
      entityType: 'ticket',
      entityId: ticket!.id,
      ticketId: ticket!.id,
    })
    return { ...ticket!, draftState: 'queued' }
  })
}

export interface TicketFilter {
  status?: TicketStatus
  priority?: Priority
  q?: string
  needsReview?: boolean
  cursor?: number
  limit: number
}

/** What a review-queue row adds to the ticket (`needsReview=true`). */
interface ReviewQueueFields {
  pendingDraftId: number
  escalated: boolean
  confidence: number
  promptVersionId: number | null
  promptVersion: string | null
  waitingSince: Date
}

/**
 * Lists tickets newest first with keyset pagination. `needsReview` lists tickets whose newest draft is
 * still pending, oldest first (the review queue), with `escalated` flagged.
 */
export async function listTickets(sql: Sql, auth: AuthContext, f: TicketFilter) {
  const rows = await ticketRows(sql, auth, f)
  return isCustomer(auth) ? rows.map((t) => ticketFor(auth, t)) : rows
}

function ticketRows(sql: Sql, auth: AuthContext, f: TicketFilter) {
  // The review queue is staff work: its rows are pending drafts and escalations.
  if (f.needsReview && isCustomer(auth)) throw new ForbiddenError('needsReview is for staff')
  // A customer filters by the status they see, which may stand for several stored ones (open: escalated).
  const statuses = f.status && isCustomer(auth) ? statusesShownAs(f.status) : f.status && [f.status]
  const where = sql`
    t.tenant_id = ${auth.tenantId} ${visibleTo(sql, auth)}
    ${statuses ? (statuses.length ? sql`AND t.status IN ${sql(statuses)}` : sql`AND false`) : sql``}
    ${f.priority ? sql`AND t.priority = ${f.priority}` : sql``}
    ${f.q ? sql`AND (t.subject ILIKE ${likeContains(f.q)} OR t.client_email ILIKE ${likeContains(f.q)})` : sql``}`
  if (f.needsReview) {
    // What the console's queue sorts and filters by: the draft's prompt version, its confidence, and since
    // when the customer has waited (the message the draft answers).
    return sql<(TicketView & ReviewQueueFields)[]>`
      SELECT ${TICKET_COLUMNS(sql, sql`t`)}, d.id AS pending_draft_id, d.escalated,
             d.confidence_score AS confidence, d.prompt_version_id, pv.version AS prompt_version,
             COALESCE(m.created_at, t.created_at) AS waiting_since
      FROM tickets t
      JOIN LATERAL (
        SELECT id, status, escalated, confidence_score, prompt_version_id, message_id FROM ai_replies
        WHERE tenant_id = t.tenant_id AND ticket_id = t.id ORDER BY id DESC LIMIT 1
      ) d ON d.status = 'pending'
      LEFT JOIN prompt_versions pv ON pv.id = d.prompt_version_id
      LEFT JOIN messages m ON m.id = d.message_id AND m.tenant_id = t.tenant_id
      WHERE ${where} ${f.cursor ? sql`AND t.id > ${f.cursor}` : sql``}
      ORDER BY t.id ASC LIMIT ${f.limit + 1}`
  }
  return sql<TicketView[]>`
    SELECT ${TICKET_COLUMNS(sql, sql`t`)} FROM tickets t
    WHERE ${where} ${beforeCursor(sql, f.cursor, 't.id')}
    ORDER BY t.id DESC LIMIT ${f.limit + 1}`
}

/** Loads one ticket the caller may see, or 404 (also for other tenants' tickets). */
export async function getTicket(sql: Sql, auth: AuthContext, ticketId: number): Promise<TicketView> {
  return found(
    await sql<TicketView[]>`
      SELECT ${TICKET_COLUMNS(sql, sql`t`)} FROM tickets t
      WHERE t.id = ${ticketId} AND t.tenant_id = ${auth.tenantId} ${visibleTo(sql, auth)}`,
    'ticket',
  )
}

/**
 * A ticket with its thread as the caller may see it: a customer gets their view (the conversation and the
 * public status, never unapproved AI text), staff the whole ticket. `GET /tickets/{id}` adds the latest
 * draft for staff (shared/drafts/view.ts).
 */
export async function ticketWithThread(sql: Sql, auth: AuthContext, ticketId: number) {
  const ticket = await getTicket(sql, auth, ticketId)
  const messages = await listMessages(sql, auth, ticket.id)
  if (isCustomer(auth)) {
    return customerTicketDetail.parse({ ...ticket, status: publicStatus(ticket.status), messages })
  }
  return { ...ticket, messages }
}

async function listMessages(sql: Sql, auth: AuthContext, ticketId: number): Promise<MessageView[]> {
  // Customers never see internal AI drafts or system notes.
  const roles = auth.role === 'user' ? sql`AND role IN ('user', 'agent')` : sql``
  return sql<MessageView[]>`
    SELECT id, ticket_id, role, content, author_user_id, external_id, created_at FROM messages
    WHERE tenant_id = ${auth.tenantId} AND ticket_id = ${ticketId} ${roles}
    ORDER BY id`
}

export async function updateTicket(
  sql: Sql,
  auth: AuthContext,
  ticketId: number,
  patch: { status?: TicketStatus; priority?: Priority; assignedTo?: number | null },
): Promise<TicketView> {
  return sql.begin(async (tx) => {
    const current = found(
      await tx<{ status: TicketStatus }[]>`
        SELECT status FROM tickets WHERE id = ${ticketId} AND tenant_id = ${auth.tenantId} FOR UPDATE`,
      'ticket',
    )
    if (patch.status && patch.status !== current.status) assertTransition(current.status, patch.status)
    if (patch.assignedTo != null) {
      const [agent] = await tx`
        SELECT 1 FROM users WHERE id = ${patch.assignedTo} AND tenant_id = ${auth.tenantId}
          AND is_active AND role <> 'user'`
      if (!agent) throw new BadRequestError('assignedTo must be an active staff member of this tenant')
    }
    const set = definedOnly({
      status: patch.status,
      priority: patch.priority,
      assigned_to: patch.assignedTo,
      updated_at: new Date(),
    })
    const [ticket] = await tx<TicketView[]>`
      UPDATE tickets SET ${tx(set)}
      WHERE id = ${ticketId} AND tenant_id = ${auth.tenantId}
      RETURNING ${TICKET_COLUMNS(tx)}`
    await auditAs(tx, auth, {
      action: 'ticket_updated',
      entityType: 'ticket',
      entityId: ticketId,
      ticketId,
      details: { ...patch, previousStatus: current.status },
    })
    return ticket!
  })
}

/** Status a ticket takes when its customer writes again. */
const afterCustomerMessage: Partial<Record<TicketStatus, TicketStatus>> = {
  answered: 'customer_reply',
  pending_customer: 'customer_reply',
  on_hold: 'customer_reply',
  resolved: 'reopened',
  closed: 'reopened',
}

export async function addMessage(
  sql: Sql,
  auth: AuthContext,
  ticketId: number,
  input: { content: string; role?: 'user' | 'agent' | 'system' },
  jobs: ClaimedJob[],
): Promise<MessageView> {
  // Customers always speak as `user`; staff default to `agent` (a manual reply).
  const role = auth.role === 'user' ? 'user' : (input.role ?? 'agent')
  return sql.begin(async (tx) => {
    const ticket = found(
      await tx<{ status: TicketStatus }[]>`
        SELECT t.status FROM tickets t
        WHERE t.id = ${ticketId} AND t.tenant_id = ${auth.tenantId} ${visibleTo(tx, auth)} FOR UPDATE`,
      'ticket',
    )
    const [message] = await tx<MessageView[]>`
      INSERT INTO messages (tenant_id, ticket_id, role, content, author_user_id)
      VALUES (${auth.tenantId}, ${ticketId}, ${role}, ${input.content}, ${auth.userId})
      RETURNING id, ticket_id, role, content, author_user_id, external_id, created_at`
    if (role === 'user') {
      const next = afterCustomerMessage[ticket.status]
      if (next) await tx`UPDATE tickets SET status = ${next}, updated_at = now() WHERE id = ${ticketId}`
      await queueDraft(tx, jobs, auth.tenantId, ticketId, message!.id, 'auto')
    } else if (role === 'agent') {
      // A human answered: pending drafts for earlier messages are no longer needed.
      await supersedePendingDrafts(tx, auth.tenantId, ticketId)
    }
    await auditAs(tx, auth, {
      action: 'message_added',
      entityType: 'message',
      entityId: message!.id,
      ticketId,
      details: { role },
    })
    return message!
  })
}
