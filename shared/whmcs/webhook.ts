/**
 * WHMCS hook events (`POST /webhooks/whmcs/{tenantSlug}`): verified, deduplicated and written through
 * {@link ingestWhmcsThread}, like the sync.
 */
import { randomBytes } from 'node:crypto'
import { type WhmcsWebhookBody, whmcsWebhookBody } from '../api/integrations.ts'
import { type AuditEntry, auditMany } from '../audit/record.ts'
import { decryptSecret } from '../crypto.ts'
import type { Db, Sql } from '../db/sql.ts'
import { BadRequestError, UnauthorizedError, ValidationError } from '../errors.ts'
import { cleanJson } from '../http/safe-input.ts'
import { addLogKeys, logger } from '../logger.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { supersedePendingDrafts } from '../tickets/supersede.ts'
import {
  ingestWhmcsThread,
  isDraftdeskReply,
  openingMessageId,
  relatedService,
  type WhmcsTicketFields,
} from './inbound.ts'
import { verifyWebhook, WEBHOOK_HEADERS } from './signature.ts'
import type { ReviewedReply } from './staff-replies.ts'

export interface WebhookRequest {
  tenantSlug: string
  /** Lower-cased header names (middy's header normalizer). */
  headers: Record<string, string | undefined>
  /** The body exactly as received: the signature covers these bytes. */
  rawBody: string
  now: Date
}

export type WebhookResult =
  | { duplicate: true }
  | {
      duplicate: false
      event: string
      ticketId: number | null
      /** Why nothing changed, when nothing did. */
      ignored?: 'unknown_event' | 'unknown_ticket' | 'own_reply'
      draftQueued: boolean
      /** A staff reply that settled a pending draft: the outcome recorded. */
      review?: ReviewedReply
    }

interface WebhookTenant {
  id: number
  webhookSecret: string
  whmcsAdminUsername: string | null
  /** `settings.requireWebhookSignatureV2`: the tenant's hook is on v2, v1 signatures are refused. */
  requireV2: boolean | null
}

const EVENT_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/
// HMAC work done for unknown tenants too, so response time does not reveal which slugs exist.
const DECOY_SECRET = randomBytes(32).toString('hex')

/**
 * Verifies, deduplicates and applies one WHMCS hook event. Only the database is touched (no WHMCS or LLM
 * call), so WHMCS gets its answer fast; drafting happens in the `draft` worker.
 *
 * Unknown tenant, bad signature, stale timestamp, v1 where the tenant requires v2: all the same 401, so
 * slugs cannot be probed. The event row (unique on event id and on signature digest) is inserted with the
 * effects: a redelivery or replay sees it and is a no-op (`{ duplicate: true }`), or the first rolled back.
 *
 * The jobs it queues (the draft, learning from a reviewed staff reply) go into `jobs`, which the caller
 * publishes after commit (`publishJobs`): the request sends its own jobs without scanning the outbox.
 *
 * @throws UnauthorizedError (401), BadRequestError / ValidationError (400) for a signed but malformed body
 */
export async function handleWhmcsWebhook(
  sql: Sql,
  dataKey: Buffer,
  req: WebhookRequest,
  jobs: ClaimedJob[],
): Promise<WebhookResult> {
  const [tenant] = await sql<WebhookTenant[]>`
    SELECT id, webhook_secret, whmcs_admin_username, settings->'requireWebhookSignatureV2' = 'true' AS require_v2
    FROM tenants WHERE slug = ${req.tenantSlug} AND is_active`
  const verdict = verifyWebhook({
    secret: tenant ? decryptSecret(tenant.webhookSecret, dataKey) : DECOY_SECRET,
    timestampHeader: req.headers[WEBHOOK_HEADERS.timestamp],
    signatureHeader: req.headers[WEBHOOK_HEADERS.signature],
    eventIdHeader: req.headers[WEBHOOK_HEADERS.eventId],
    rawBody: req.rawBody,
    now: req.now,
    requireV2: tenant?.requireV2 === true,
  })
  if (!tenant || !verdict.ok) {
    // The reason goes to the log for whoever debugs a hook install, never to the caller.
    logger.warn('webhook rejected', {
      tenantSlug: req.tenantSlug,
      reason: tenant ? (verdict as { reason: string }).reason : 'unknown_tenant',
    })
    throw new UnauthorizedError('invalid webhook signature')
  }
  // A public route: the verified signature is what says whose the request's log lines are.
  addLogKeys({ tenantId: tenant.id })

  const eventId = req.headers[WEBHOOK_HEADERS.eventId]?.trim() ?? ''
  if (!EVENT_ID_RE.test(eventId)) {
    throw new ValidationError([
      { in: 'header', path: WEBHOOK_HEADERS.eventId, message: 'required, 1-128 of [A-Za-z0-9._:-]' },
    ])
  }
  const body = parseWebhookBody(req.rawBody)

  return sql.begin(async (tx) => {
    // Duplicate by event id (a re-signed redelivery) or by signature (the same signed bytes replayed).
    const [fresh] = await tx`
      INSERT INTO webhook_events (tenant_id, event_id, event, signature_digest)
      VALUES (${tenant.id}, ${eventId}, ${body.event.slice(0, 64)}, ${verdict.digest})
      ON CONFLICT DO NOTHING RETURNING event_id`
    if (!fresh) return { duplicate: true } as const
    const audits: AuditEntry[] = []
    const result = await applyWebhookEvent(
      { tx, jobs, audits },
      tenant.id,
      eventId,
      body,
      tenant.whmcsAdminUsername,
    )
    audits.push({
      tenantId: tenant.id,
      action: 'webhook_received',
      entityType: 'webhook_event',
      ticketId: result.ticketId,
      details: {
        event: body.event,
        eventId,
        whmcsTicketId: body.data.ticketid,
        ...(result.ignored ? { ignored: result.ignored } : {}),
      },
    })
    await auditMany(tx, audits)
    return result
  })
}

/** The signed body, parsed; a 400 naming the problem when it is not JSON or not a hook event. */
function parseWebhookBody(rawBody: string): WhmcsWebhookBody {
  let json: unknown
  try {
    // WHMCS text is stored as WHMCS has it, minus what Postgres cannot hold (NUL, lone surrogates): a
    // refusal would only make the hook's outbox retry the same signed bytes for ever.
    json = cleanJson(JSON.parse(rawBody))
  } catch {
    throw new BadRequestError('body is not valid JSON')
  }
  const parsed = whmcsWebhookBody.safeParse(json)
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((i) => ({
        in: 'body',
        path: i.path.join('.'),
        message: i.message,
        code: i.code,
      })),
    )
  }
  return parsed.data
}

async function applyWebhookEvent(
  { tx, jobs, audits }: Pick<WebhookEvent, 'tx' | 'jobs' | 'audits'>,
  tenantId: number,
  eventId: string,
  { event, data }: WhmcsWebhookBody,
  adminUsername: string | null,
): Promise<Applied> {
  const fields: WhmcsTicketFields = {
    whmcsTicketId: data.ticketid,
    tid: data.ticketmask,
    subject: data.subject,
    whmcsStatus: data.status,
    whmcsPriority: data.priority,
    department: data.deptname,
    deptId: data.deptid,
    whmcsUserId: data.userid,
    whmcsService: relatedService(data.service),
  }
  const e: WebhookEvent = { tx, jobs, tenantId, eventId, event, data, fields, adminUsername, audits }
  switch (event) {
    case 'TicketOpen':
    case 'TicketUserReply':
      return customerMessage(e)
    case 'TicketAdminReply':
      return staffReply(e)
    case 'TicketClose':
    case 'TicketStatusChange':
      return statusChange(e)
    default:
      return applied(e, null, { ignored: 'unknown_event' })
  }
}

type Applied = Exclude<WebhookResult, { duplicate: true }>
type Extra = Partial<Pick<Extract<WebhookResult, { duplicate: false }>, 'ignored' | 'draftQueued' | 'review'>>

/** One signed event of one tenant, as the handlers of its kind take it. */
interface WebhookEvent {
  tx: Db
  /** The jobs the delivery queues, published by the request after commit. */
  jobs: ClaimedJob[]
  tenantId: number
  eventId: string
  event: string
  data: WhmcsWebhookBody['data']
  fields: WhmcsTicketFields
  adminUsername: string | null
  audits: AuditEntry[]
}

const applied = (e: WebhookEvent, ticketId: number | null, extra: Extra = {}): Applied => ({
  duplicate: false as const,
  event: e.event,
  ticketId,
  draftQueued: false,
  ...extra,
})

/** The Draftdesk ticket of the event's WHMCS ticket, locked; null when Draftdesk has not seen it. */
const knownTicket = async ({ tx, tenantId, data }: WebhookEvent) =>
  (
    await tx<{ id: number }[]>`
      SELECT id FROM tickets WHERE tenant_id = ${tenantId} AND whmcs_ticket_id = ${data.ticketid} FOR UPDATE`
  )[0]?.id ?? null

/** The message's id in WHMCS; very old hooks send no reply id, and the event id still makes redelivery a no-op. */
const replyExternalId = ({ data, eventId }: WebhookEvent) =>
  data.replyid !== undefined ? String(data.replyid) : `webhook-${eventId}`.slice(0, 64)

/** TicketOpen and TicketUserReply: the customer's message is stored and a draft queued. */
async function customerMessage(e: WebhookEvent): Promise<Applied> {
  const { tx, tenantId, eventId, event, data } = e
  const opening = event === 'TicketOpen'
  const message = data.message ?? ''
  const externalId = opening ? openingMessageId(data.ticketid) : replyExternalId(e)
  const result = await ingestWhmcsThread(
    tx,
    e.jobs,
    tenantId,
    {
      ...e.fields,
      content: message || undefined,
      whmcsStatus: data.status ?? (opening ? 'Open' : 'Customer-Reply'),
    },
    message ? [{ externalId, role: 'user', content: message, metadata: { via: 'webhook', eventId } }] : [],
  )
  if (result.created || result.messagesAdded > 0) {
    e.audits.push({
      tenantId,
      action: 'ticket_synced',
      entityType: 'ticket',
      entityId: result.ticketId,
      ticketId: result.ticketId,
      details: { via: 'webhook', event, created: result.created, messagesAdded: result.messagesAdded },
    })
  }
  return applied(e, result.ticketId, { draftQueued: result.draftQueued })
}

/**
 * TicketAdminReply: a staff reply settles the pending draft it answers (an implicit review). Tickets
 * Draftdesk has not seen yet are left to the sync, which imports them with the whole thread; Draftdesk's
 * own replies are skipped.
 */
async function staffReply(e: WebhookEvent): Promise<Applied> {
  const { tx, tenantId, eventId, data } = e
  const ticketId = await knownTicket(e)
  if (ticketId === null) return applied(e, null, { ignored: 'unknown_ticket' })
  if (isDraftdeskReply(data.message ?? '', data.admin, e.adminUsername)) {
    return applied(e, ticketId, { ignored: 'own_reply' })
  }
  const message = data.message
    ? [
        {
          externalId: replyExternalId(e),
          role: 'agent' as const,
          content: data.message,
          metadata: { via: 'webhook', eventId, admin: data.admin },
        },
      ]
    : []
  const result = await ingestWhmcsThread(tx, e.jobs, tenantId, e.fields, message)
  // A staff reply without a body (should not happen) still means a human answered.
  if (!data.message) await supersedePendingDrafts(tx, tenantId, ticketId)
  return applied(e, result.ticketId, { review: result.reviewed[0] })
}

/** TicketClose and TicketStatusChange: WHMCS's status is taken as is (it is the source of truth). */
async function statusChange(e: WebhookEvent): Promise<Applied> {
  const ticketId = await knownTicket(e)
  if (ticketId === null) return applied(e, null, { ignored: 'unknown_ticket' })
  const whmcsStatus = e.event === 'TicketClose' ? 'Closed' : e.data.status
  if (!whmcsStatus) {
    throw new ValidationError([
      { in: 'body', path: 'data.status', message: 'required for TicketStatusChange' },
    ])
  }
  const result = await ingestWhmcsThread(e.tx, e.jobs, e.tenantId, { ...e.fields, whmcsStatus }, [], {
    forceStatus: true,
  })
  return applied(e, result.ticketId)
}
