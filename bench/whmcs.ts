/**
 * WHMCS integration benchmarks on the local runtime. Run: `npx tsx bench/whmcs.ts`.
 *
 * 1. Webhook acknowledgement latency: 50 concurrent senders post signed TicketOpen / TicketUserReply events
 *    (seeded mix over 300 tickets), as the PHP hook would, and we time each request until its 200. Workers
 *    are off, so this is the acknowledgement path itself (verify, dedupe, store, queue the draft job); on
 *    PGlite a draft worker on the same single connection would add queueing on top. The max is printed
 *    with p99: one starved request in 3,000 is longer than the hook's 3 s delivery timeout. Then the same
 *    events arriving on a schedule (open loop) at OPEN_LOOP_RATES, timed from each event's due time.
 * 2. Sync throughput against the fake WHMCS answering every call after 20 ms: a first import of 1,000
 *    tickets (40 pages, 1,000 GetTicket), the same with GetTicket one at a time, and a re-sync with nothing
 *    changed (40 GetTickets, no GetTicket).
 */
import { randomUUID } from 'node:crypto'
import { signWebhook } from '#shared/whmcs/signature'
import { runWhmcsSync } from '#shared/whmcs/sync'
import { startFakeWhmcs } from '../test/fakes/whmcs-server.ts'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { latencies, localPostmaster, postgresCpuSeconds, record, rng, table } from './lib.ts'

const SENDERS = 50
const REQUESTS = 3_000
const TICKETS = 300
const SYNC_TICKETS = 1_000
const LATENCY_MS = 20
const CREDS = { identifier: 'bench-ident', secret: 'bench-secret-value' }
/** Arrival rates of the open-loop cases (events/s), each with this many new events. */
const OPEN_LOOP_RATES = [100, 200]
const OPEN_LOOP_EVENTS = 1_000

const app = await startTestApp({ workers: false, env: { LOG_LEVEL: 'ERROR' } })
const rows: Record<string, string>[] = []
/** The local server's postmaster, for the Postgres CPU column (null on PGlite). */
const postmaster = await localPostmaster(app.rt.deps.sql)

// ---------------------------------------------------------------------------------------------------
// 1. Webhook acknowledgement latency

const hook = await createTenant(app, 'bench-hook')
const random = rng(5)
const nextReply = new Map<number, number>()
let replyId = 1
/** The i-th event: each ticket is opened first, then gets customer replies. */
function event(): string {
  const ticketid = 1 + Math.floor(random() * TICKETS)
  const opened = nextReply.has(ticketid)
  nextReply.set(ticketid, (nextReply.get(ticketid) ?? 0) + 1)
  return JSON.stringify({
    event: opened ? 'TicketUserReply' : 'TicketOpen',
    occurredAt: Math.floor(Date.now() / 1000),
    data: {
      ticketid,
      ticketmask: `BEN-${ticketid}`,
      userid: 1000 + ticketid,
      deptid: 1,
      deptname: 'Technical Support',
      subject: `Website down after update #${ticketid}`,
      message: `Customer message ${nextReply.get(ticketid)} on ticket ${ticketid}: ${'the site returns HTTP 500. '.repeat(6)}`,
      priority: ['Low', 'Medium', 'High'][ticketid % 3],
      ...(opened ? { replyid: replyId++, status: 'Customer-Reply' } : {}),
    },
  })
}
const bodies = Array.from({ length: REQUESTS }, event)

async function deliver(raw: string, eventId = randomUUID()): Promise<number> {
  const timestamp = Math.floor(Date.now() / 1000)
  const started = performance.now()
  const res = await fetch(`${app.url}/webhooks/whmcs/${hook.slug}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-draftdesk-event-id': eventId,
      'x-draftdesk-timestamp': String(timestamp),
      'x-draftdesk-signature': signWebhook(hook.webhookSecret, timestamp, raw),
    },
    body: raw,
  })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`)
  return performance.now() - started
}

/** Runs `send` (which records each latency it measures), timing the whole run and the CPU it cost. */
async function measured(send: (latencies: number[]) => Promise<unknown>) {
  const latencies: number[] = []
  const cpu = { node: process.cpuUsage(), pg: postgresCpuSeconds(postmaster) }
  const started = performance.now()
  await send(latencies)
  const seconds = (performance.now() - started) / 1000
  const node = process.cpuUsage(cpu.node)
  const pg = cpu.pg === null ? null : postgresCpuSeconds(postmaster)! - cpu.pg
  return { latencies, seconds, nodeCpu: (node.user + node.system) / 1e6, pgCpu: pg }
}

/** Closed loop: `senders` back-to-back senders, each sending its next item when the last one is answered. */
function concurrently(items: string[], senders: number, send: (raw: string) => Promise<number>) {
  let next = 0
  return measured((latencies) =>
    Promise.all(
      Array.from({ length: senders }, async () => {
        while (next < items.length) latencies.push(await send(items[next++]!))
      }),
    ),
  )
}

// Warm-up: module loading and the first plans are not what we measure.
for (let i = 0; i < 20; i++) await deliver(event())
// One sender: the acknowledgement time itself, without queueing behind other requests.
/** A table row (and recorded measures) for one acknowledgement case; the max shows any starved request. */
function ackRow(name: string, run: Awaited<ReturnType<typeof concurrently>>) {
  const perEvent = (cpuSeconds: number) => `${((cpuSeconds * 1000) / run.latencies.length).toFixed(2)} ms`
  const perSecond = run.latencies.length / run.seconds
  record({ case: name, metric: 'throughput', value: perSecond, unit: '/s', better: 'higher' })
  return {
    case: name,
    ...latencies(name, run.latencies, ['p50', 'p99', 'max']),
    duration: `${run.seconds.toFixed(2)} s`,
    throughput: `${Math.round(perSecond)} events/s`,
    // Senders and server share this Node process; the server's Postgres is every postgres process here.
    'node CPU/event': perEvent(run.nodeCpu),
    'postgres CPU/event': run.pgCpu !== null ? perEvent(run.pgCpu) : '',
  }
}
const alone = await concurrently(Array.from({ length: 300 }, event), 1, (raw) => deliver(raw))
rows.push(ackRow('webhook ack, 1 sender, 300 new events', alone))
const fresh = await concurrently(bodies, SENDERS, (raw) => deliver(raw))
rows.push(ackRow(`webhook ack, ${SENDERS} concurrent senders, ${REQUESTS} new events`, fresh))
// Redelivery (the hook's cron retrying, or a proxy repeating a request): same event ids again.
const dupId = randomUUID()
await deliver(bodies[0]!, dupId)
const dups = await concurrently(bodies.slice(0, 1_000), SENDERS, (raw) => deliver(raw, dupId))
rows.push(ackRow(`webhook ack, ${SENDERS} concurrent senders, 1000 duplicate deliveries`, dups))
const [stored] = await app.rt.deps.sql<{ tickets: number; messages: number }[]>`
  SELECT (SELECT count(*)::int FROM tickets WHERE tenant_id = ${hook.id}) AS tickets,
         (SELECT count(*)::int FROM messages WHERE tenant_id = ${hook.id}) AS messages`

/**
 * Open loop: events arrive on a fixed schedule whatever the server does, as deliveries from many WHMCS
 * installs do, and each latency runs from the event's due time (a late start counts against the server, so
 * a backlog is not hidden). The closed loop above measures how many acknowledgements per second 50
 * back-to-back senders get; this measures how long one waits at a given arrival rate.
 */
function openLoop(items: string[], perSecond: number) {
  return measured((latencies) => {
    const started = performance.now()
    return Promise.all(
      items.map(async (raw, i) => {
        const due = started + (i * 1000) / perSecond
        const wait = due - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        await deliver(raw)
        latencies.push(performance.now() - due)
      }),
    )
  })
}
for (const rate of OPEN_LOOP_RATES) {
  const run = await openLoop(Array.from({ length: OPEN_LOOP_EVENTS }, event), rate)
  rows.push(ackRow(`webhook ack, open loop at ${rate} events/s, ${OPEN_LOOP_EVENTS} new events`, run))
}

// ---------------------------------------------------------------------------------------------------
// 2. Sync throughput

async function syncCase(slug: string, concurrency: number, runs: number) {
  const fake = await startFakeWhmcs({ ...CREDS, tickets: SYNC_TICKETS })
  fake.setLatency(LATENCY_MS)
  const tenant = await createTenant(app, slug)
  await app.call(
    'PATCH',
    `/tenants/${tenant.id}`,
    { whmcsUrl: fake.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret },
    { token: app.superToken },
  )
  const out: { seconds: number; getTickets: number; getTicket: number }[] = []
  for (let i = 0; i < runs; i++) {
    const before = fake.calls.length
    const started = performance.now()
    const result = await runWhmcsSync(
      app.rt.deps,
      { tenantId: tenant.id, trigger: 'manual' },
      { concurrency },
    )
    if (result.outcome !== 'success') throw new Error(`sync ${result.outcome}`)
    const calls = fake.calls.slice(before)
    out.push({
      seconds: (performance.now() - started) / 1000,
      getTickets: calls.filter((c) => c.action === 'GetTickets').length,
      getTicket: calls.filter((c) => c.action === 'GetTicket').length,
    })
  }
  await fake.close()
  return out
}

const syncRow = (label: string, r: { seconds: number; getTickets: number; getTicket: number }) => {
  record({ case: label, metric: 'tickets', value: SYNC_TICKETS / r.seconds, unit: '/s', better: 'higher' })
  return {
    case: label,
    p50: '',
    p99: '',
    max: '',
    duration: `${r.seconds.toFixed(2)} s`,
    throughput: `${Math.round(SYNC_TICKETS / r.seconds)} tickets/s (${r.getTickets} GetTickets, ${r.getTicket} GetTicket)`,
  }
}
const [initial, unchanged] = await syncCase('bench-sync', 5, 2)
rows.push(
  syncRow(
    `sync, first import of ${SYNC_TICKETS} tickets, ${LATENCY_MS} ms/call, 5 parallel GetTicket`,
    initial!,
  ),
)
rows.push(syncRow(`sync, nothing changed, ${LATENCY_MS} ms/call`, unchanged!))
const [serial] = await syncCase('bench-sync-serial', 1, 1)
rows.push(syncRow(`sync, first import, ${LATENCY_MS} ms/call, GetTicket one at a time`, serial!))

table(rows)
console.log(
  `webhook: ${stored!.tickets} tickets / ${stored!.messages} messages stored from ${REQUESTS + 320} distinct events before the open-loop cases; workers off (ack path only)`,
)
await app.stop()
