import * as z from 'zod'
import { PRIORITIES, TICKET_STATUSES } from '../drafting/status.ts'
import { email, id, idParams, pageQuery, patchBody } from './common.ts'

const status = z.enum(TICKET_STATUSES)
const priority = z.enum(PRIORITIES)
const bool = z.enum(['true', 'false']).transform((v) => v === 'true')

export const ticketsContract = {
  'GET /tickets': {
    summary: 'List tickets, newest first (needsReview=true: oldest first, awaiting review)',
    query: pageQuery.extend({
      status: status.optional(),
      priority: priority.optional(),
      needsReview: bool.optional(),
      q: z.string().trim().min(1).max(200).optional(),
    }),
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
  },
  'GET /tickets/{id}': { summary: 'A ticket with its messages and latest draft', params: idParams },
  'PATCH /tickets/{id}': {
    summary: 'Change status (state machine), priority or assignee',
    params: idParams,
    body: patchBody({ status, priority, assignedTo: id.nullable() }),
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
  },
} as const
