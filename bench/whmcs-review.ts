/**
 * Cost of recording an implicit review on the staff-reply webhook (issue 10). Run: `npm run bench --
 * whmcs-review` (or `npx tsx bench/whmcs-review.ts`).
 *
 * One sender posts signed TicketAdminReply events, as the PHP hook does, and we time each until its 200.
 * Two cases over the same kind of ticket: the customer message has a pending draft (the reply is compared
 * with it and recorded as an approval with learning job and audit, in the webhook's transaction), and it
 * has none (the reply is stored as a plain agent message). Workers are off, so only the acknowledgement
 * path is measured. Replies are the draft with a greeting, a signature and one sentence changed.
 */
import { randomUUID } from 'node:crypto'
import { signWebhook } from '#shared/whmcs/signature'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { ms, quantile, table } from './lib.ts'

const TICKETS = 400
const WARMUP = 20

const app = await startTestApp({ workers: false, env: { LOG_LEVEL: 'ERROR' } })
const tenant = await createTenant(app, 'bench-review')
const sql = app.rt.deps.sql

const draftText = (i: number) =>
  `Your site on ticket ${i} returns HTTP 500 because the new PHP version disabled the ionCube loader. ` +
  'Open cPanel, go to Select PHP Version and enable the ioncube_loader extension. [1]\n\n' +
  'If the error stays, clear the OPcache from the same page and reload the site. [2]\n\n' +
  'The site works again within a minute; the change applies to every domain of the account.'

async function post(body: unknown): Promise<number> {
  const raw = JSON.stringify(body)
  const timestamp = Math.floor(Date.now() / 1000)
  const started = performance.now()
  const res = await fetch(`${app.url}/webhooks/whmcs/${tenant.slug}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-draftdesk-event-id': randomUUID(),
      'x-draftdesk-timestamp': String(timestamp),
      'x-draftdesk-signature': signWebhook(tenant.webhookSecret, timestamp, raw),
    },
    body: raw,
  })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`)
  return performance.now() - started
}

/** Opens `count` WHMCS tickets from `first`; with `drafts`, each opening message gets a pending draft. */
async function seed(first: number, count: number, drafts: boolean): Promise<void> {
  for (let id = first; id < first + count; id++) {
    await post({
      event: 'TicketOpen',
      data: {
        ticketid: id,
        ticketmask: `REV-${id}`,
        subject: `HTTP 500 #${id}`,
        message: 'My site is down.',
      },
    })
  }
  // The draft jobs are not run (workers off): drafts are inserted as the draft worker would store them.
  await sql`DELETE FROM outbox WHERE tenant_id = ${tenant.id}`
  if (!drafts) return
  const rows = await sql<{ ticketId: number; messageId: number; whmcsTicketId: number }[]>`
    SELECT t.id AS ticket_id, m.id AS message_id, t.whmcs_ticket_id FROM tickets t
    JOIN messages m ON m.ticket_id = t.id AND m.role = 'user'
    WHERE t.tenant_id = ${tenant.id} AND t.whmcs_ticket_id >= ${first} AND t.whmcs_ticket_id < ${first + count}`
  for (const r of rows) {
    await sql`
      INSERT INTO ai_replies (tenant_id, ticket_id, message_id, request_id, ai_reply, confidence_score, provider, model)
      VALUES (${tenant.id}, ${r.ticketId}, ${r.messageId}, ${randomUUID()}, ${draftText(r.whmcsTicketId)}, 72,
              'builtin', 'extractive')`
  }
}

const reply = (id: number) => ({
  event: 'TicketAdminReply',
  data: {
    ticketid: id,
    replyid: 100_000 + id,
    admin: 'Jane Doe',
    status: 'Answered',
    message: `Hi Anna,\r\n\r\n${draftText(id).replace('within a minute', 'after a minute or two').replace(/\n/g, '\r\n')}\r\n\r\nBest regards,\r\nJane Doe\r\nAcme Hosting`,
  },
})

async function measure(first: number, label: string): Promise<Record<string, string>> {
  const latencies: number[] = []
  for (let id = first; id < first + TICKETS; id++) latencies.push(await post(reply(id)))
  const measured = latencies.slice(WARMUP)
  return {
    case: label,
    p50: ms(quantile(measured, 0.5)),
    p99: ms(quantile(measured, 0.99)),
    max: ms(Math.max(...measured)),
  }
}

await seed(1, TICKETS, false)
await seed(10_001, TICKETS, true)
const rows = [
  await measure(1, `staff reply, no pending draft (${TICKETS - WARMUP} replies, 1 sender)`),
  await measure(10_001, `staff reply, pending draft → sent edited (${TICKETS - WARMUP} replies, 1 sender)`),
]
const [check] = await sql<{ approvals: number }[]>`
  SELECT count(*)::int AS approvals FROM approved_replies WHERE tenant_id = ${tenant.id} AND channel = 'whmcs'`
if (check!.approvals !== TICKETS) throw new Error(`expected ${TICKETS} approvals, found ${check!.approvals}`)
table(rows)
await app.stop()
