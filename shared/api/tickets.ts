import * as z from 'zod'
import { email, id, idParams, pageOf, pageQuery, patchBody, rowId } from './common.ts'
import { draftView } from './drafts.ts'

/** All ticket statuses (seed 000 ∪ seed 001). */
export const TICKET_STATUSES = [
  'open',
  'in_progress',
  'answered',
  'customer_reply',
  'pending_customer',
  'on_hold',
  'escalated',
  'resolved',
  'closed',
  'reopened',
] as const

/** A ticket status. */
export type TicketStatus = (typeof TICKET_STATUSES)[number]

/** A status as a customer (role `user`) sees it: escalation is staff triage, not a state of their ticket. */
const publicTicketStatus = z.enum(TICKET_STATUSES).exclude(['escalated'])

/**
 * The statuses a customer may see.
 * @internal
 */
export const PUBLIC_TICKET_STATUSES = publicTicketStatus.options

/** A status as a customer sees it. */
export type PublicTicketStatus = z.output<typeof publicTicketStatus>

/**
 * Ticket priorities (seed 000).
 * @internal
 */
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const

/** A ticket priority. */
export type Priority = (typeof PRIORITIES)[number]

const status = z.enum(TICKET_STATUSES)
const priority = z.enum(PRIORITIES)
const bool = z.enum(['true', 'false']).transform((v) => v === 'true')

// Response views. Customers (role `user`) get their own schemas, applied with `parse` so that whatever the
// staff view gains later never reaches them (zod drops keys a schema does not name).
const text = z.string()
const at = z.date()

const staffMessage = z.object({
  id: rowId,
  ticketId: rowId,
  role: z.enum(['user', 'assistant', 'system', 'agent']),
  content: text,
  authorUserId: rowId.nullable(),
  externalId: text.nullable(),
  createdAt: at,
})
/** A message as a customer sees it: theirs and support's replies, no AI drafts, notes or WHMCS ids. */
export const customerMessage = z.object({
  id: rowId,
  ticketId: rowId,
  role: z.enum(['user', 'agent']),
  content: text,
  createdAt: at,
})

const staffTicket = z.object({
  id: rowId,
  tenantId: rowId,
  subject: text,
  content: text,
  status,
  priority,
  source: text,
  department: text.nullable(),
  clientEmail: text.nullable(),
  assignedTo: rowId.nullable(),
  createdById: rowId.nullable(),
  whmcsTicketId: rowId.nullable(),
  whmcsTid: text.nullable(),
  draftState: z.enum(['queued', 'ready', 'failed']).nullable(),
  draftError: text.nullable(),
  createdAt: at,
  updatedAt: at,
})
/**
 * A ticket as a customer sees it: the public status (an escalated ticket reads `open`), and no triage
 * (draft state and error, review queue, assignee, source, WHMCS ids).
 */
export const customerTicket = z.object({
  id: rowId,
  subject: text,
  content: text,
  status: publicTicketStatus,
  priority,
  department: text.nullable(),
  clientEmail: text.nullable(),
  whmcsTid: text.nullable(),
  createdAt: at,
  updatedAt: at,
})
const staffListed = staffTicket.extend({
  pendingDraftId: rowId.optional().describe('needsReview=true only: the pending draft'),
  escalated: z.boolean().optional().describe('needsReview=true only: the pending draft is escalated'),
  confidence: z.number().optional().describe('needsReview=true only: the pending draft’s confidence'),
  promptVersionId: rowId.nullable().optional().describe('needsReview=true only: the draft’s prompt version'),
  promptVersion: text.nullable().optional().describe('needsReview=true only: that version’s label'),
  waitingSince: at
    .optional()
    .describe('needsReview=true only: when the customer message the draft answers arrived'),
})
const staffDetail = staffTicket.extend({
  messages: z.array(staffMessage),
  latestDraft: draftView.nullable().describe('the newest draft, as in GET /tickets/{id}/drafts'),
})
export const customerTicketDetail = customerTicket.extend({ messages: z.array(customerMessage) })

/** One success body per audience: OpenAPI shows both, titled. */
const views = <S extends z.ZodType, C extends z.ZodType>(staff: S, customer: C) =>
  z.union([staff.meta({ title: 'Staff view' }), customer.meta({ title: 'Customer view (role user)' })])

export const ticketsContract = {
  'GET /tickets': {
    summary:
      'List tickets, newest first (needsReview=true: oldest first, awaiting review; staff only). Customers ' +
      'see their own tickets with the public status (status=open also finds escalated ones)',
    query: pageQuery.extend({
      status: status.optional(),
      priority: priority.optional(),
      needsReview: bool.optional(),
      q: z.string().trim().min(1).max(200).optional(),
    }),
    response: views(pageOf(staffListed), pageOf(customerTicket)),
  },
  'POST /tickets': {
    summary: 'Create a ticket; a draft is queued for its first message',
    body: z
      .object({
        subject: z.string().trim().min(1).max(500),
        content: z.string().trim().min(1).max(100_000),
        priority: priority.default('medium'),
        department: z.string().trim().max(100).optional(),
        clientEmail: email.optional(),
      })
      .strict(),
    response: views(staffTicket, customerTicket),
  },
  'GET /tickets/{id}': {
    summary: 'A ticket with its messages and latest draft (customers: their thread and the public status)',
    params: idParams,
    response: views(staffDetail, customerTicketDetail),
  },
  'PATCH /tickets/{id}': {
    summary: 'Change status (state machine), priority or assignee',
    params: idParams,
    body: patchBody({ status, priority, assignedTo: id.nullable() }),
    response: staffTicket,
  },
  'POST /tickets/{id}/messages': {
    summary: 'Add a message; a customer message queues a new draft',
    params: idParams,
    body: z
      .object({
        content: z.string().trim().min(1).max(100_000),
        role: z.enum(['user', 'agent', 'system']).optional(),
      })
      .strict(),
    response: views(staffMessage, customerMessage),
  },
} as const
