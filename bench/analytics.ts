/**
 * GET /analytics/summary latency with 100,000 drafts (and their approvals) in the run's database, for
 * the whole 90-day history and for the last 7 days, plus 10,000 drafts of another tenant the tenant
 * filter must skip. Run: `npx tsx bench/analytics.ts`.
 */
import { randomUUID } from 'node:crypto'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { latencies, ms, rng, table } from './lib.ts'

const DRAFTS = 100_000
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
async function load(tenantId: number, count: number): Promise<void> {
  const versions = await promptVersions(tenantId)
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
])
await app.stop()
