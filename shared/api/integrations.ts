import * as z from 'zod'
import { panelAccount } from './account.ts'
import { id, idParams, pageOf, pageQuery, queuedJob, rowId, tenantScope } from './common.ts'
import { draftView } from './drafts.ts'

/** WHMCS sends ids and counters as numbers or as strings, depending on version and hook. */
const intish = z
  .union([z.number().int(), z.string().trim().regex(/^\d+$/)])
  .transform(Number)
  .pipe(z.number().int().min(0).max(2_147_483_647))
const text = z.union([z.string(), z.number(), z.boolean()]).transform(String)
const optional = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .transform((v) => v ?? undefined)
    .optional()

/**
 * Body of `POST /webhooks/whmcs/{tenantSlug}`, as integrations/whmcs/draftdesk.php sends it: the hook name
 * and the WHMCS hook variables it forwards. Deliberately loose, unlike API bodies: unknown keys are accepted
 * (a newer hook may add some; they are never stored); unknown event names are acknowledged and ignored,
 * so a newer hook never gets stuck retrying them.
 */
export const whmcsWebhookBody = z.object({
  event: z.string().trim().min(1).max(64),
  /** Unix seconds the hook fired (deliveries after an outage may arrive out of order). */
  occurredAt: optional(z.number().int().nonnegative()),
  data: z.looseObject({
    ticketid: intish.pipe(z.number().int().positive()),
    ticketmask: optional(text),
    userid: optional(intish),
    deptid: optional(intish),
    deptname: optional(text),
    subject: optional(text),
    message: optional(text),
    priority: optional(text),
    replyid: optional(intish),
    status: optional(text),
    admin: optional(text),
    adminid: optional(intish),
    /** The ticket's related service (`S12`, `D3`), which hook 1.3 reads for TicketOpen. */
    service: optional(text),
  }),
})
export type WhmcsWebhookBody = z.output<typeof whmcsWebhookBody>

const SYNC_LOG_STATUSES = ['pending', 'running', 'success', 'failed'] as const

const syncLog = z.object({
  id: rowId,
  system: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  status: z.enum(SYNC_LOG_STATUSES),
  recordsProcessed: z.number().int(),
  errorMessage: z.string().nullable().describe("WHMCS's error, when the run failed"),
  startedAt: z.date(),
  completedAt: z.date().nullable(),
  metadata: z.record(z.string(), z.unknown()).describe('progress and resume point (never credentials)'),
})

const webhookResult = z.union([
  z.object({ duplicate: z.literal(true) }).meta({ title: 'A redelivery or replay: nothing changed' }),
  z
    .object({
      duplicate: z.literal(false),
      event: z.string(),
      ticketId: rowId.nullable(),
      ignored: z
        .enum(['unknown_event', 'unknown_ticket', 'own_reply'])
        .optional()
        .describe('why nothing changed, when nothing did'),
      draftQueued: z.boolean(),
      review: z
        .object({
          outcome: z.enum(['sent_as_drafted', 'sent_edited', 'replaced']),
          similarity: z.number().min(0).max(1),
          approvedReplyId: rowId,
          draftId: rowId,
        })
        .optional()
        .describe('a staff reply that settled a pending draft: the outcome recorded'),
    })
    .meta({ title: 'An applied event' }),
])

/** What the WHMCS admin panel shows (field names as integrations/whmcs/draftdesk.php reads them). */
const panelDraft = z.object({
  ticketId: rowId,
  draftState: z.enum(['queued', 'ready', 'failed']).nullable().describe('queued while a draft is being made'),
  draft: z
    .object({
      id: rowId,
      ticketId: rowId,
      status: z.enum(['pending', 'approved']),
      body: z.string().describe('the text with its [n] citation markers'),
      customerBody: z.string().describe('what Insert draft puts in the reply box: no markers, References:'),
      confidence: z.number().int(),
      escalated: z.boolean(),
      escalationReasons: z.array(z.string()),
      confidenceComponents: z.array(z.object({ label: z.string(), points: z.number(), detail: z.string() })),
      sources: z.array(
        z.object({
          title: z.string(),
          kind: z.string().optional(),
          score: z.number().optional(),
          url: z.string().optional(),
        }),
      ),
      account: panelAccount
        .nullable()
        .describe(
          "what the draft knew about the client's WHMCS account; null on drafts made before it existed",
        ),
      reviewUrl: z
        .string()
        .nullable()
        .describe(
          "the ticket's page in the desk console (Review in Draftdesk); null when PUBLIC_URL is unset",
        ),
      createdAt: z.date(),
    })
    .nullable()
    .describe('null when the ticket has no pending or approved draft'),
})

export const integrationsContract = {
  'GET /integrations/sync-logs': {
    summary:
      'Integration sync runs of your tenant, newest first (status, records, WHMCS error, resume point)',
    query: pageQuery.extend(tenantScope.shape).extend({ status: z.enum(SYNC_LOG_STATUSES).optional() }),
    response: pageOf(syncLog),
  },
  'POST /integrations/whmcs/sync': {
    summary: 'Queue a WHMCS sync of your tenant now (202); 409 when WHMCS is not configured',
    status: 202,
    query: tenantScope,
    response: queuedJob,
  },
  'POST /webhooks/whmcs/{tenantSlug}': {
    public: true,
    status: 200,
    summary:
      'WHMCS hook events (TicketOpen, TicketUserReply, TicketAdminReply, TicketClose, TicketStatusChange). ' +
      'Signed: X-Draftdesk-Timestamp, X-Draftdesk-Event-Id, X-Draftdesk-Signature = sha256=HMAC(secret, ' +
      'timestamp + "." + raw body); 401 for a bad signature, stale timestamp or unknown tenant; idempotent on ' +
      'the event id. Body: {event, occurredAt?, data: {ticketid, replyid, message, status, ...}}.',
    // No body schema here on purpose: the signature is checked over the raw bytes before the body is parsed,
    // so unauthenticated senders get 401, never validation details (see whmcsWebhookBody).
    params: z.object({ tenantSlug: z.string().min(1).max(100) }),
    response: webhookResult,
  },
  'GET /integrations/whmcs/tickets/{whmcsTicketId}/draft': {
    summary:
      'The current draft of the ticket with this WHMCS ticket id, for the WHMCS admin panel ' +
      '({ draftState, draft: null | { id, body, confidence, confidenceComponents, escalated, escalationReasons, ' +
      'sources, account, ... } }, account: what the draft knew about the client’s WHMCS account); marks a ' +
      'pending draft as shown in WHMCS; 404 for an unknown ticket',
    params: z.object({ whmcsTicketId: id }),
    response: panelDraft,
  },
  'POST /integrations/whmcs/tickets/{whmcsTicketId}/drafts': {
    status: 202,
    summary:
      'The WHMCS panel’s Regenerate: queue a new draft for the latest customer message of the ticket with this ' +
      'WHMCS ticket id (answers { queued, jobId, ticketId }; poll the draft route for a newer draft id)',
    params: z.object({ whmcsTicketId: id }),
    response: queuedJob.extend({ ticketId: rowId }),
  },
  'POST /integrations/whmcs/drafts/{id}/not-helpful': {
    status: 200,
    summary:
      'The WHMCS panel’s Not helpful: reject a pending draft with a short reason (counted in analytics as a ' +
      'rejection in the whmcs channel); 409 when the draft is no longer pending',
    params: idParams,
    body: z.object({ reason: z.string().trim().min(1).max(500) }).strict(),
    response: draftView,
  },
} as const
