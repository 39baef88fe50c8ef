/**
 * GET /tickets?limit=50 latency with 10,000 tickets in the run's database, sequential and with 16
 * concurrent clients, plus the local runtime's start time. Run: `npx tsx bench/tickets.ts`.
 */
import autocannon from 'autocannon'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { latencies, ms, record, rng, table } from './lib.ts'

const TICKETS = 10_000

const t0 = performance.now()
const app = await startTestApp({ workers: false, env: { LOG_LEVEL: 'ERROR' } })
const startMs = performance.now() - t0
const acme = await createTenant(app, 'bench')
const sql = app.rt.deps.sql
const random = rng(42)
const statuses = ['open', 'in_progress', 'answered', 'customer_reply', 'escalated', 'closed']
const priorities = ['low', 'medium', 'high', 'urgent']

// Load directly: the bench measures reads, and 10k HTTP creates would only measure bcrypt-free inserts.
for (let i = 0; i < TICKETS; i += 1000) {
  const rows = Array.from({ length: 1000 }, (_, j) => ({
    tenant_id: acme.id,
    subject: `Ticket ${i + j}: ${['DNS', 'SSL', 'email', 'billing', 'backup'][Math.floor(random() * 5)]} issue`,
    content: 'Generated for the benchmark.',
    status: statuses[Math.floor(random() * statuses.length)]!,
    priority: priorities[Math.floor(random() * priorities.length)]!,
  }))
  await sql`INSERT INTO tickets ${sql(rows)}`
}
await sql`ANALYZE tickets`

const url = `${app.url}/tickets?limit=50`
const headers = { authorization: `Bearer ${acme.agent}` }

// Sequential: one client, 300 requests after a short warm-up.
for (let i = 0; i < 20; i++) await fetch(url, { headers }).then((r) => r.arrayBuffer())
const seq: number[] = []
for (let i = 0; i < 300; i++) {
  const s = performance.now()
  const res = await fetch(url, { headers })
  await res.arrayBuffer()
  if (res.status !== 200) throw new Error(`status ${res.status}`)
  seq.push(performance.now() - s)
}
const filtered: number[] = []
for (let i = 0; i < 200; i++) {
  const s = performance.now()
  await fetch(`${app.url}/tickets?limit=50&status=escalated&priority=urgent`, { headers }).then((r) =>
    r.arrayBuffer(),
  )
  filtered.push(performance.now() - s)
}

// 16 concurrent clients for 10 s.
const result = await autocannon({ url, connections: 16, duration: 10, headers })
const concurrent = 'GET /tickets?limit=50, 16 concurrent clients'
record(
  { case: 'runtime start', metric: 'once', value: startMs, unit: 'ms', better: 'lower' },
  { case: concurrent, metric: 'p50', value: result.latency.p50, unit: 'ms', better: 'lower' },
  { case: concurrent, metric: 'p97.5', value: result.latency.p97_5, unit: 'ms', better: 'lower' },
  { case: concurrent, metric: 'throughput', value: result.requests.average, unit: '/s', better: 'higher' },
)

table([
  {
    case: 'runtime start (boot or connect, migrate, listen, first login)',
    p50: ms(startMs),
    p95: '',
    throughput: '',
  },
  {
    case: 'GET /tickets?limit=50, sequential',
    ...latencies('GET /tickets?limit=50, sequential', seq, ['p50', 'p95']),
    throughput: '',
  },
  {
    case: 'GET /tickets?limit=50&status&priority, sequential',
    ...latencies('GET /tickets?limit=50&status&priority, sequential', filtered, ['p50', 'p95']),
    throughput: '',
  },
  {
    case: 'GET /tickets?limit=50, 16 concurrent',
    p50: ms(result.latency.p50),
    p95: ms(result.latency.p97_5),
    throughput: `${Math.round(result.requests.average)} req/s (non-2xx: ${result.non2xx})`,
  },
])
console.log('(autocannon reports p97.5 as its closest percentile to p95)')
await app.stop()
