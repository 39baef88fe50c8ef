/**
 * GET /analytics/summary latency with 100,000 drafts (and their approvals) in the run's database, for
 * the whole 90-day history and for the last 7 days, plus 10,000 drafts of another tenant the tenant
 * filter must skip. Run: `npx tsx bench/analytics.ts`. Also what the daily figures cost writers: a batch of
 * tickets, drafts and approvals written with the analytics_stale_days triggers on and off, alternately.
 * BENCH_DRAFTS=<n> seeds fewer drafts for a quick run.
 */
import { randomUUID } from 'node:crypto'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { latencies, ms, rng, table } from './lib.ts'

const DRAFTS = Number(process.env.BENCH_DRAFTS ?? 100_000)
const NOISE_DRAFTS = 10_000
const BATCH = 2_000
const CALLS = 30
const DAY = 24 * 3600 * 1000

const app = await startTestApp({ workers: false, env: { LOG_LEVEL: 'ERROR' } })
const [bench, other] = [await createTenant(app, 'bench-analytics'), await createTenant(app, 'bench-other')]
const sql = app.rt.deps.sql
const random = rng(7)
const now = Date.now()

const REASONS = [
  [{ code: 'low_retrieval', detail: 'low' }],
  [{ code: 'keyword', category: 'refund', match: 'refund', detail: 'refund' }],
  [{ code: 'keyword', category: 'legal', match: 'lawyer', detail: 'legal' }],
  [{ code: 'urgent_priority', detail: 'urgent' }],
  [
    { code: 'keyword', category: 'chargeback', match: 'chargeback', detail: 'chargeback' },
    { code: 'low_retrieval', detail: 'low' },
  ],
]
const REJECTIONS = ['Wrong price', 'Too long', 'Off topic', 'Outdated policy', 'Wrong product', 'Tone']

async function promptVersions(tenantId: number): Promise<number[]> {
  const ids: number[] = []
  for (const v of ['v1', 'v2', 'v3']) {
    const [row] = await sql<{ id: number }[]>`
      INSERT INTO prompt_versions (tenant_id, version, name, system_prompt, context_template, task_template)
      VALUES (${tenantId}, ${v}, ${`Prompt ${v}`}, 's', 'c', 't') RETURNING id`
    ids.push(row!.id)
  }
  return ids
}

/** One ticket per draft (approvals are unique per ticket message), inserted BATCH rows per statement. */
async function load(tenantId: number, count: number, versions?: number[]): Promise<void> {
  versions ??= await promptVersions(tenantId)
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start)
    const tickets = await sql<{ id: number }[]>`
      INSERT INTO tickets ${sql(
        Array.from({ length: n }, (_, i) => ({
          tenant_id: tenantId,
          subject: `Ticket ${start + i}`,
          content: 'Generated for the analytics benchmark.',
        })),
      )} RETURNING id`
    const drafts = tickets.map(({ id }) => {
      const confidence = Math.round(random() * 100)
      const approvedP = 0.3 + 0.6 * (confidence / 100)
      const r = random()
      const status =
        r < approvedP
          ? 'approved'
          : r < approvedP + 0.3 * (1 - approvedP)
            ? 'rejected'
            : random() < 0.6
              ? 'superseded'
              : 'pending'
      const escalated = random() < 0.15
      return {
        tenant_id: tenantId,
        ticket_id: id,
        request_id: randomUUID(),
        prompt_version_id: versions[Math.floor(random() * versions.length)]!,
        ai_reply: 'Generated draft text.',
        confidence_score: confidence,
        provider: 'builtin',
        model: 'extractive',
        status,
        escalated,
        escalation_reasons: sql.json(escalated ? REASONS[Math.floor(random() * REASONS.length)]! : []),
        reject_reason: status === 'rejected' ? REJECTIONS[Math.floor(random() * REJECTIONS.length)]! : null,
        latency_ms: Math.round(400 + random() ** 2 * 8000),
        tokens_used: Math.round(200 + random() * 1300),
        created_at: new Date(now - random() * 90 * DAY),
      }
    })
    const inserted = await sql<{ id: number; ticketId: number; status: string }[]>`
      INSERT INTO ai_replies ${sql(drafts as never)} RETURNING id, ticket_id, status`
    const approvals = inserted
      .filter((d) => d.status === 'approved')
      .map((d) => {
        const edited = random() < 0.4
        const similarity = edited ? 0.3 + random() * 0.69 : 1
        return {
          tenant_id: tenantId,
          ticket_id: d.ticketId,
          ai_reply_id: d.id,
          final_reply: 'Generated final reply.',
          edited,
          edit_distance: similarity,
          is_correction: similarity < 0.7,
        }
      })
    if (approvals.length) await sql`INSERT INTO approved_replies ${sql(approvals)}`
  }
}

const loadStart = performance.now()
await load(bench.id, DRAFTS)
await load(other.id, NOISE_DRAFTS)
await sql`ANALYZE`
const loadMs = performance.now() - loadStart

const headers = { authorization: `Bearer ${bench.admin}` }
async function measure(query: string): Promise<{ samples: number[]; drafts: number }> {
  const url = `${app.url}/analytics/summary?${query}`
  let drafts = 0
  for (let i = 0; i < 3; i++) await fetch(url, { headers }).then((r) => r.arrayBuffer())
  const samples: number[] = []
  for (let i = 0; i < CALLS; i++) {
    const s = performance.now()
    const res = await fetch(url, { headers })
    const body = (await res.json()) as { overall: { drafts: number } }
    if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(body)}`)
    samples.push(performance.now() - s)
    drafts = body.overall.drafts
  }
  return { samples, drafts }
}

const iso = (t: number) => new Date(t).toISOString()
const all = await measure(`from=${iso(now - 91 * DAY)}&to=${iso(now + DAY)}`)
const week = await measure(`from=${iso(now - 7 * DAY)}&to=${iso(now + DAY)}`)

// The triggers' cost on writes: the same batch written with the stale-day triggers on and off, alternately,
// into a tenant of its own (after the summaries, so they do not see these drafts).
const writer = await createTenant(app, 'bench-writes')
const writerVersions = await promptVersions(writer.id)
const WRITE_ROUNDS = 10
const withTriggers: number[] = []
const withoutTriggers: number[] = []
const setTriggers = async (on: boolean) => {
  if (on)
    await sql`ALTER TABLE ai_replies ENABLE TRIGGER USER; ALTER TABLE approved_replies ENABLE TRIGGER USER`.simple()
  else
    await sql`ALTER TABLE ai_replies DISABLE TRIGGER USER; ALTER TABLE approved_replies DISABLE TRIGGER USER`.simple()
}
for (let i = 0; i < 2 * WRITE_ROUNDS; i++) {
  const on = i % 2 === 0
  await setTriggers(on)
  const s = performance.now()
  await load(writer.id, BATCH, writerVersions)
  ;(on ? withTriggers : withoutTriggers).push(performance.now() - s)
}
await setTriggers(true)

table([
  {
    case: `load ${DRAFTS + NOISE_DRAFTS} drafts + tickets + approvals`,
    drafts: '',
    p50: ms(loadMs),
    p95: '',
  },
  {
    case: `GET /analytics/summary, 90 days (${CALLS} calls)`,
    drafts: all.drafts,
    ...latencies(`GET /analytics/summary, 90 days, ${DRAFTS.toLocaleString('en')} drafts`, all.samples, [
      'p50',
      'p95',
    ]),
  },
  {
    case: `GET /analytics/summary, last 7 days (${CALLS} calls)`,
    drafts: week.drafts,
    ...latencies(
      `GET /analytics/summary, last 7 days (${week.drafts.toLocaleString('en')} drafts)`,
      week.samples,
      ['p50', 'p95'],
    ),
  },
  {
    case: `write ${BATCH.toLocaleString('en')} tickets + drafts + approvals, stale-day triggers on (${WRITE_ROUNDS} batches)`,
    drafts: '',
    ...latencies(`write batch of ${BATCH} with analytics triggers`, withTriggers, ['p50', 'p95']),
  },
  {
    case: `the same, triggers off (${WRITE_ROUNDS} batches)`,
    drafts: '',
    ...latencies(`write batch of ${BATCH} without analytics triggers`, withoutTriggers, ['p50', 'p95']),
  },
])
await app.stop()
