import * as z from 'zod'
import { cursor, idParams, instant, pageQuery, tenantScope } from './common.ts'
import { TICKET_STATUSES } from './tickets.ts'

const rowId = z.number().int()
const similarity = z.number().min(0).max(1)

/** `POST /drafts/{id}/approve`: the `approved_replies` row and what the approval did. */
const approval = z.object({
  id: rowId,
  ticketId: rowId,
  messageId: rowId.nullable(),
  aiReplyId: rowId,
  finalReply: z.string(),
  edited: z.boolean(),
  editSimilarity: similarity.describe(
    'Levenshtein similarity ratio of finalReply to the draft: 1 = unchanged, 0 = rewritten',
  ),
  editDistance: similarity.meta({
    deprecated: true,
    description: 'Deprecated: the same value as editSimilarity (a similarity, despite its name)',
  }),
  editSummary: z.string().nullable(),
  isCorrection: z.boolean(),
  usedForTraining: z.boolean(),
  approvedBy: rowId.nullable(),
  sendToWhmcs: z.boolean(),
  channel: z.enum(['api', 'whmcs']),
  whmcsAdmin: z.string().nullable(),
  createdAt: z.date(),
  learningKind: z.enum(['approved_example', 'correction']),
  agentMessageId: rowId,
  customerReply: z
    .string()
    .describe('What the customer gets: finalReply without [n] markers, cited articles under "References:"'),
  ticketStatus: z.enum(TICKET_STATUSES),
})

export const reviewContract = {
  'POST /drafts/{id}/approve': {
    summary:
      'Approve a pending draft as is or edited (finalReply): stores the approval, posts it to the thread, ' +
      'queues learning and, with sendToWhmcs, the reply to WHMCS. One approval per customer message (409).',
    params: idParams,
    body: z
      .object({
        finalReply: z.string().trim().min(1).max(100_000).optional(),
        sendToWhmcs: z.boolean().default(false),
      })
      .strict(),
    response: approval,
  },
  'POST /drafts/{id}/reject': {
    status: 200,
    summary: 'Reject a pending draft with a reason (shown in analytics)',
    params: idParams,
    body: z.object({ reason: z.string().trim().min(1).max(2000) }).strict(),
  },
  'GET /analytics/summary': {
    summary:
      'Review analytics of drafts created in [from, to) (default: the last 30 days), overall and per prompt ' +
      'version; also refreshes the performance_metrics of the tenant’s own prompt versions',
    query: z
      .object({ from: instant.optional(), to: instant.optional() })
      .extend(tenantScope.shape)
      .strict()
      .refine((q) => !q.from || !q.to || q.from < q.to, {
        message: 'from must be before to',
        path: ['from'],
      }),
  },
  'GET /audit': {
    summary: 'Audit log of the tenant, newest first: who did what, when',
    // audit_logs.id is a bigint: its cursors may pass int4.
    query: pageQuery.extend({
      cursor: cursor(Number.MAX_SAFE_INTEGER).optional(),
      entityType: z.string().trim().min(1).max(50).optional(),
      action: z
        .string()
        .trim()
        .regex(/^[a-z_]{1,64}$/, 'an audit action such as reply_approved')
        .optional(),
      ...tenantScope.shape,
    }),
  },
} as const
