/**
 * Account facts benchmark (issue 30). Run: `npx tsx bench/account.ts`.
 *
 * What WHMCS adds to a draft: `generateDraft` with the built-in provider, for tickets from a WHMCS client
 * whose account the fake WHMCS answers after 50 ms per call, against the same tickets from no WHMCS client
 * (no facts looked up). Cases, interleaved draft by draft so drift hits all alike:
 * - no account facts: the ticket has no WHMCS client (the baseline);
 * - cold cache: the tenant's cached account is deleted before each draft (outside the clock), so WHMCS is read;
 * - warm cache: the account was read by an earlier draft within the cache time;
 * - cold cache, a client with 200 services.
 * Added latency = the case's median draft time − the baseline's; "account wait" (p50, p95) is the
 * pipeline's own timer (DraftTimings.accountWaitMs): what the draft waited for the facts after retrieval and
 * reranking, which the read runs beside. Calls per draft are counted by the fake.
 */
import { generateDraft } from '#shared/drafts/pipeline'
import type { DraftTimings } from '#shared/drafts/types'
import { whmcsAccountFacts } from '#shared/whmcs/account'
import { dayFromToday } from '../test/fakes/whmcs-accounts.ts'
import { startFakeWhmcs } from '../test/fakes/whmcs-server.ts'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { latencies, ms, quantile, record, table } from './lib.ts'

const DRAFTS = 60
const WARMUP = 5
const WHMCS_MS = 50
const CREDS = { identifier: 'bench-account-ident', secret: 'bench-account-secret' }
const QUESTION = 'my site example-shop.com is down since this morning'

const app = await startTestApp({ env: { LOG_LEVEL: 'ERROR' } })
const { sql } = app.rt.deps
const whmcs = await startFakeWhmcs(CREDS)
const tenant = await createTenant(app, 'bench-account')
const connected = await app.call(
  'PATCH',
  `/tenants/${tenant.id}`,
  { whmcsUrl: whmcs.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret },
  { token: app.superToken },
)
if (connected.status !== 200) throw new Error(`connecting WHMCS failed: ${JSON.stringify(connected.body)}`)
for (const [title, content] of [
  [
    'Website down',
    'If your site is down, check the status page, then the error log; 500 errors often come from .htaccess.',
  ],
  [
    'Suspended services',
    'A service is suspended when its invoice is overdue; paying the invoice unsuspends it within minutes.',
  ],
  ['DNS nameservers', 'Point the domain to ns1 and ns2 at the registrar; propagation takes up to 24 hours.'],
]) {
  const res = await app.call('POST', '/kb/articles', { title, content }, { token: tenant.admin })
  if (res.status !== 201) throw new Error(`article failed: ${JSON.stringify(res.body)}`)
}
await app.rt.queues.idle()

// Client 101: the suspended hosting of example-shop.com and its overdue invoice, a domain, a few services.
// Client 102: the same, among 200 services.
const accounts = whmcs.store.accounts
for (const [client, services] of [
  [101, 5],
  [102, 200],
] as const) {
  accounts.addClient({ id: client })
  for (let i = 1; i < services; i++) accounts.addService(client, { domain: `other-site-${i}.example` })
  accounts.addService(client, {
    domain: 'example-shop.com',
    status: 'Suspended',
    suspensionreason: 'Overdue on Payment',
    nextduedate: dayFromToday(-12),
  })
  accounts.addDomain(client, { domainname: 'example-shop.com' })
  accounts.addInvoice(client, { invoicenum: `INV-${client}`, duedate: dayFromToday(-12) })
}
whmcs.setLatency(WHMCS_MS)

/** A ticket with one customer message, from `clientId` (null: not from WHMCS). */
async function ticket(clientId: number | null): Promise<[number, number]> {
  const metadata = clientId === null ? {} : { whmcsUserId: clientId }
  return sql.begin(async (tx) => {
    const [t] = await tx<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content, metadata_json)
      VALUES (${tenant.id}, 'Website problem', ${QUESTION}, ${tx.json(metadata)}) RETURNING id`
    const [m] = await tx<{ id: number }[]>`
      INSERT INTO messages (tenant_id, ticket_id, role, content)
      VALUES (${tenant.id}, ${t!.id}, 'user', ${QUESTION}) RETURNING id`
    return [t!.id, m!.id]
  })
}

const deps = { ...app.rt.deps, accountFacts: whmcsAccountFacts(app.rt.deps) }
type Case = 'none' | 'cold' | 'warm' | 'cold200'
const CASES: Array<{ key: Case; name: string; client: number | null; cold: boolean }> = [
  { key: 'none', name: 'no account facts (baseline)', client: null, cold: false },
  { key: 'cold', name: 'cold cache, WHMCS 50 ms/call', client: 101, cold: true },
  { key: 'warm', name: 'warm cache', client: 101, cold: false },
  { key: 'cold200', name: 'cold cache, 200 services', client: 102, cold: true },
]
const runs = new Map<Case, { timings: DraftTimings[]; calls: number[]; state: string }>(
  CASES.map((c) => [c.key, { timings: [], calls: [], state: '' }]),
)

for (let i = 0; i < WARMUP + DRAFTS; i++) {
  for (const c of CASES) {
    if (c.cold) await sql`DELETE FROM whmcs_account_cache WHERE tenant_id = ${tenant.id}`
    const [ticketId, messageId] = await ticket(c.client)
    const before = whmcs.calls.length
    const job = {
      jobId: crypto.randomUUID(),
      tenantId: tenant.id,
      ticketId,
      messageId,
      trigger: 'auto' as const,
      userId: null,
    }
    const outcome = await generateDraft(deps, job, [])
    if (outcome.status !== 'created') throw new Error(`draft skipped: ${outcome.reason}`)
    if (i < WARMUP) continue
    const run = runs.get(c.key)!
    run.timings.push(outcome.timings)
    run.calls.push(whmcs.calls.length - before)
    const [stored] = await sql<{ state: string | null }[]>`
      SELECT account_facts->>'state' AS state FROM ai_replies WHERE id = ${outcome.aiReplyId}`
    run.state = stored?.state ?? 'none'
  }
}

const base = runs.get('none')!.timings.map((t) => t.totalMs)
const rows = CASES.map((c) => {
  const run = runs.get(c.key)!
  const total = run.timings.map((t) => t.totalMs)
  const calls = run.calls.reduce((a, b) => a + b, 0) / run.calls.length
  record({ case: c.name, metric: 'calls per draft', value: calls, unit: '', better: 'lower' })
  // Quantiles of separate runs do not subtract beyond the median: the tail is the machine's, not WHMCS's.
  const added = (q: number) => quantile(total, q) - quantile(base, q)
  if (c.key !== 'none') {
    record({ case: c.name, metric: 'added p50', value: added(0.5), unit: 'ms', better: 'lower' })
  }
  const wait = latencies(
    `${c.name}: account wait`,
    run.timings.map((t) => t.accountWaitMs),
    ['p50', 'p95'],
  )
  return {
    case: c.name,
    account: run.state,
    ...latencies(c.name, total, ['p50', 'p95']),
    'added p50': c.key === 'none' ? '' : ms(added(0.5)),
    'account wait p50': wait.p50 ?? '',
    'account wait p95': wait.p95 ?? '',
    'retrieval p50': ms(
      quantile(
        run.timings.map((t) => t.retrievalMs),
        0.5,
      ),
    ),
    'WHMCS calls/draft': calls.toFixed(1),
  }
})
console.log(
  `\n${DRAFTS} drafts per case (after ${WARMUP} warm-ups), built-in provider, fake WHMCS ${WHMCS_MS} ms per call`,
)
table(rows)
await app.stop()
await whmcs.close()
