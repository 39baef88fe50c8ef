import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const FROM = '2025-03-01T00:00:00.000Z'
const TO = '2025-04-01T00:00:00.000Z'

type Reason = { code: string; category?: string }
interface FixtureDraft {
  pv: 'v1' | 'v2' | 'global' | 'other'
  status: 'pending' | 'approved' | 'rejected' | 'superseded'
  confidence: number
  reasons?: Reason[]
  latencyMs: number | null
  tokens: number | null
  rejectReason?: string
  /** approved_replies row: edited?, similarity (edit_distance column), correction? */
  approval?: { edited: boolean; similarity: number; correction: boolean }
  createdAt?: string
}

const kw = (category: string): Reason => ({ code: 'keyword', category })
const low: Reason = { code: 'low_retrieval' }
const urgent: Reason = { code: 'urgent_priority' }

/**
 * The fixed fixture; every expected figure below is computed by hand from this table (see the comments).
 *  #  pv      status      conf  reasons             latency tokens  reject / approval
 *  1  v1      approved    90    -                   1000    100     unedited 1.0 (created exactly at FROM)
 *  2  v1      approved    85    -                   2000    200     edited 0.8
 *  3  v1      approved    65    refund              3000    300     edited 0.4, correction
 *  4  v1      rejected    30    low_retrieval       4000    400     "Wrong price"
 *  5  v1      pending     50    -                   null    null
 *  6  v2      approved    70    -                   1500    150     unedited 1.0
 *  7  v2      rejected    10    refund, low_retr.   2500    250     " wrong  PRICE "
 *  8  v2      rejected    75    -                   3500    null    "Too long"
 *  9  v2      superseded  20    urgent_priority     500     50
 * 10  global  approved    100   legal               800     80      edited 0.6, correction
 */
const IN_WINDOW: FixtureDraft[] = [
  {
    pv: 'v1',
    status: 'approved',
    confidence: 90,
    latencyMs: 1000,
    tokens: 100,
    approval: { edited: false, similarity: 1, correction: false },
    createdAt: FROM,
  },
  {
    pv: 'v1',
    status: 'approved',
    confidence: 85,
    latencyMs: 2000,
    tokens: 200,
    approval: { edited: true, similarity: 0.8, correction: false },
  },
  {
    pv: 'v1',
    status: 'approved',
    confidence: 65,
    reasons: [kw('refund')],
    latencyMs: 3000,
    tokens: 300,
    approval: { edited: true, similarity: 0.4, correction: true },
  },
  {
    pv: 'v1',
    status: 'rejected',
    confidence: 30,
    reasons: [low],
    latencyMs: 4000,
    tokens: 400,
    rejectReason: 'Wrong price',
  },
  { pv: 'v1', status: 'pending', confidence: 50, latencyMs: null, tokens: null },
  {
    pv: 'v2',
    status: 'approved',
    confidence: 70,
    latencyMs: 1500,
    tokens: 150,
    approval: { edited: false, similarity: 1, correction: false },
  },
  {
    pv: 'v2',
    status: 'rejected',
    confidence: 10,
    reasons: [kw('refund'), low],
    latencyMs: 2500,
    tokens: 250,
    rejectReason: ' wrong  PRICE ',
  },
  { pv: 'v2', status: 'rejected', confidence: 75, latencyMs: 3500, tokens: null, rejectReason: 'Too long' },
  { pv: 'v2', status: 'superseded', confidence: 20, reasons: [urgent], latencyMs: 500, tokens: 50 },
  {
    pv: 'global',
    status: 'approved',
    confidence: 100,
    reasons: [kw('legal')],
    latencyMs: 800,
    tokens: 80,
    approval: { edited: true, similarity: 0.6, correction: true },
  },
]

// Outside the window ([FROM, TO) is half-open): must not count.
const OUTSIDE: FixtureDraft[] = [
  {
    pv: 'v1',
    status: 'approved',
    confidence: 5,
    latencyMs: 99_000,
    tokens: 9_000,
    approval: { edited: true, similarity: 0.1, correction: true },
    createdAt: '2025-02-28T23:59:59.999Z',
  },
  {
    pv: 'v2',
    status: 'rejected',
    confidence: 5,
    reasons: [kw('abuse')],
    latencyMs: 99_000,
    tokens: 9_000,
    rejectReason: 'Wrong price',
    createdAt: TO,
  },
]

describe('Function: analytics summary', () => {
  let app: TestApp
  let acme: TenantFixture
  let globex: TenantFixture
  const pv = { v1: 0, v2: 0, global: 0, other: 0 }
  const sql = () => app.rt.deps.sql

  async function insertDraft(t: TenantFixture, d: FixtureDraft, i: number) {
    const [ticket] = await sql()<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content) VALUES (${t.id}, ${`Fixture ${i}`}, 'fixture') RETURNING id`
    const reasons = d.reasons ?? []
    const [draft] = await sql()<{ id: number }[]>`
      INSERT INTO ai_replies (tenant_id, ticket_id, request_id, prompt_version_id, ai_reply, confidence_score,
        provider, model, status, escalated, escalation_reasons, reject_reason, latency_ms, tokens_used, created_at)
      VALUES (${t.id}, ${ticket!.id}, ${randomUUID()}, ${pv[d.pv]}, 'draft text', ${d.confidence}, 'builtin',
        'extractive', ${d.status}, ${reasons.length > 0}, ${sql().json(reasons as never)}, ${d.rejectReason ?? null},
        ${d.latencyMs}, ${d.tokens}, ${d.createdAt ?? `2025-03-${String(10 + i).padStart(2, '0')}T12:00:00Z`})
      RETURNING id`
    if (d.approval) {
      await sql()`
        INSERT INTO approved_replies (tenant_id, ticket_id, ai_reply_id, final_reply, edited, edit_distance, is_correction)
        VALUES (${t.id}, ${ticket!.id}, ${draft!.id}, 'final', ${d.approval.edited}, ${d.approval.similarity},
                ${d.approval.correction})`
    }
  }

  const summary = (token: string, query = `from=${FROM}&to=${TO}`) =>
    app.call('GET', `/analytics/summary?${query}`, undefined, { token })

  beforeAll(async () => {
    app = await startTestApp({ workers: false })
    ;[acme, globex] = await Promise.all([
      createTenant(app, 'analytics-acme'),
      createTenant(app, 'analytics-globex'),
    ])
    const version = async (tenantId: number | null, v: string) => {
      const [row] = await sql()<{ id: number }[]>`
        INSERT INTO prompt_versions (tenant_id, version, name, system_prompt, context_template, task_template)
        VALUES (${tenantId}, ${v}, ${`Prompt ${v}`}, 's', 'c', 't') RETURNING id`
      return row!.id
    }
    pv.v1 = await version(acme.id, 'v1')
    pv.v2 = await version(acme.id, 'v2')
    pv.global = await version(null, 'analytics-global')
    pv.other = await version(globex.id, 'v1')
    for (const [i, d] of IN_WINDOW.entries()) await insertDraft(acme, d, i)
    for (const [i, d] of OUTSIDE.entries()) await insertDraft(acme, d, 100 + i)
    // Another tenant's drafts in the same window: must never leak into acme's figures.
    await insertDraft(
      globex,
      {
        pv: 'other',
        status: 'rejected',
        confidence: 15,
        reasons: [kw('refund')],
        latencyMs: 50_000,
        tokens: 5_000,
        rejectReason: 'Wrong price',
      },
      0,
    )
    await insertDraft(
      globex,
      {
        pv: 'other',
        status: 'approved',
        confidence: 95,
        latencyMs: 50_000,
        tokens: 5_000,
        approval: { edited: true, similarity: 0.2, correction: true },
      },
      1,
    )
  })
  afterAll(async () => app?.stop())

  it('computes the overall figures exactly as by hand', async () => {
    // Act
    const res = await summary(acme.admin)
    // Assess
    expect(res.status).toBe(200)
    const o = res.body.overall
    expect(res.body).toMatchObject({ tenantId: acme.id, from: FROM, to: TO })
    expect(o.drafts).toBe(10)
    expect(o.byStatus).toEqual({
      pending: 1,
      approved: 5,
      rejected: 3,
      superseded: 1,
      sentAsDrafted: 0,
      sentEdited: 0,
      replaced: 0,
    })
    // Figures come rounded to 6 decimals.
    expect(o.approvalRate).toBe(0.625) // approved / (approved + rejected)
    expect(o.approvedUneditedRate).toBeCloseTo(2 / 5, 10) // #1, #6 of 5 approvals
    expect(o.correctionRate).toBeCloseTo(2 / 5, 10) // #3, #10
    expect(o.meanEditSimilarity).toBeCloseTo((1 + 0.8 + 0.4 + 1 + 0.6) / 5, 6)
    expect(o.meanEditDistance).toBeCloseTo(1 - 0.76, 6)
    expect(o.meanConfidence).toBeCloseTo(595 / 10, 6)
    expect(o.rejectionReasons).toEqual([
      { reason: 'wrong price', count: 2 },
      { reason: 'too long', count: 1 },
    ])
    expect(o.escalation.escalated).toBe(5) // #3 #4 #7 #9 #10
    expect(o.escalation.rate).toBeCloseTo(0.5, 10)
    expect(o.escalation.byReason).toEqual([
      { code: 'keyword', category: 'refund', drafts: 2, rate: 0.2 },
      { code: 'low_retrieval', category: null, drafts: 2, rate: 0.2 },
      { code: 'keyword', category: 'legal', drafts: 1, rate: 0.1 },
      { code: 'urgent_priority', category: null, drafts: 1, rate: 0.1 },
    ])
    expect(o.calibration).toEqual([
      {
        bucket: '0-20',
        min: 0,
        max: 20,
        drafts: 1,
        approved: 0,
        rejected: 1,
        approvalRate: 0,
        meanConfidence: 10,
      },
      {
        bucket: '20-40',
        min: 20,
        max: 40,
        drafts: 2,
        approved: 0,
        rejected: 1,
        approvalRate: 0,
        meanConfidence: 25,
      },
      {
        bucket: '40-60',
        min: 40,
        max: 60,
        drafts: 1,
        approved: 0,
        rejected: 0,
        approvalRate: null,
        meanConfidence: 50,
      },
      {
        bucket: '60-80',
        min: 60,
        max: 80,
        drafts: 3,
        approved: 2,
        rejected: 1,
        approvalRate: 0.666667,
        meanConfidence: 70,
      },
      {
        bucket: '80-100',
        min: 80,
        max: 100,
        drafts: 3,
        approved: 3,
        rejected: 0,
        approvalRate: 1,
        meanConfidence: 91.666667,
      },
    ])
    // Latencies sorted: 500 800 1000 1500 2000 2500 3000 3500 4000 (n = 9, #5 has none).
    // percentile_cont: p50 at position 4 → 2000; p95 at 7.6 → 3500 + 0.6 × 500 = 3800.
    expect(o.latencyMs.p50).toBeCloseTo(2000, 6)
    expect(o.latencyMs.p95).toBeCloseTo(3800, 6)
    expect(o.latencyMs.mean).toBe(2088.888889) // 18,800 / 9
    // Tokens of the 8 drafts that have them.
    expect(o.tokens).toEqual({ total: 1530, mean: 1530 / 8 })
  })

  it('computes the same figures per prompt version', async () => {
    // Act
    const res = await summary(acme.admin)
    // Assess
    const [v1, v2, global] = res.body.byPromptVersion
    expect(res.body.byPromptVersion).toHaveLength(3)
    expect(v1).toMatchObject({
      promptVersionId: pv.v1,
      version: 'v1',
      name: 'Prompt v1',
      scope: 'tenant',
      drafts: 5,
    })
    expect(v1.byStatus).toEqual({
      pending: 1,
      approved: 3,
      rejected: 1,
      superseded: 0,
      sentAsDrafted: 0,
      sentEdited: 0,
      replaced: 0,
    })
    expect(v1.approvalRate).toBeCloseTo(3 / 4, 10)
    expect(v1.approvedUneditedRate).toBe(0.333333)
    expect(v1.correctionRate).toBe(0.333333)
    expect(v1.meanEditSimilarity).toBe(0.733333) // (1 + 0.8 + 0.4) / 3
    expect(v1.meanConfidence).toBeCloseTo(64, 6)
    expect(v1.rejectionReasons).toEqual([{ reason: 'wrong price', count: 1 }])
    expect(v1.escalation).toEqual({
      escalated: 2,
      rate: 0.4,
      byReason: [
        { code: 'keyword', category: 'refund', drafts: 1, rate: 0.2 },
        { code: 'low_retrieval', category: null, drafts: 1, rate: 0.2 },
      ],
    })
    expect(
      v1.calibration.map((b: any) => [b.drafts, b.approved, b.rejected, b.approvalRate, b.meanConfidence]),
    ).toEqual([
      [0, 0, 0, null, null],
      [1, 0, 1, 0, 30],
      [1, 0, 0, null, 50],
      [1, 1, 0, 1, 65],
      [2, 2, 0, 1, 87.5],
    ])
    // 1000 2000 3000 4000: p50 at 1.5 → 2500; p95 at 2.85 → 3850.
    expect(v1.latencyMs).toEqual({ p50: 2500, p95: 3850, mean: 2500 })
    expect(v1.tokens).toEqual({ total: 1000, mean: 250 })

    expect(v2).toMatchObject({ promptVersionId: pv.v2, version: 'v2', scope: 'tenant', drafts: 4 })
    expect(v2.byStatus).toEqual({
      pending: 0,
      approved: 1,
      rejected: 2,
      superseded: 1,
      sentAsDrafted: 0,
      sentEdited: 0,
      replaced: 0,
    })
    expect(v2.approvalRate).toBe(0.333333)
    expect(v2.approvedUneditedRate).toBe(1)
    expect(v2.correctionRate).toBe(0)
    expect(v2.meanEditSimilarity).toBeCloseTo(1, 6)
    expect(v2.meanEditDistance).toBeCloseTo(0, 6)
    expect(v2.meanConfidence).toBeCloseTo(43.75, 6)
    expect(v2.rejectionReasons).toEqual([
      { reason: 'too long', count: 1 },
      { reason: 'wrong price', count: 1 },
    ])
    expect(v2.escalation).toEqual({
      escalated: 2,
      rate: 0.5,
      byReason: [
        { code: 'keyword', category: 'refund', drafts: 1, rate: 0.25 },
        { code: 'low_retrieval', category: null, drafts: 1, rate: 0.25 },
        { code: 'urgent_priority', category: null, drafts: 1, rate: 0.25 },
      ],
    })
    expect(
      v2.calibration.map((b: any) => [b.drafts, b.approved, b.rejected, b.approvalRate, b.meanConfidence]),
    ).toEqual([
      [1, 0, 1, 0, 10],
      [1, 0, 0, null, 20],
      [0, 0, 0, null, null],
      [2, 1, 1, 0.5, 72.5],
      [0, 0, 0, null, null],
    ])
    // 500 1500 2500 3500: p50 at 1.5 → 2000; p95 at 2.85 → 3350.
    expect(v2.latencyMs).toEqual({ p50: 2000, p95: 3350, mean: 2000 })
    expect(v2.tokens).toEqual({ total: 450, mean: 150 })

    expect(global).toMatchObject({ promptVersionId: pv.global, scope: 'global', drafts: 1, approvalRate: 1 })
    expect(global.approvedUneditedRate).toBe(0)
    expect(global.correctionRate).toBe(1)
    expect(global.meanEditSimilarity).toBeCloseTo(0.6, 6)
    expect(global.escalation.byReason).toEqual([{ code: 'keyword', category: 'legal', drafts: 1, rate: 1 }])
    expect(global.latencyMs).toEqual({ p50: 800, p95: 800, mean: 800 })
  })

  it("refreshes the tenant's own prompt versions' performance_metrics, never a global or another tenant's", async () => {
    // Prepare
    await sql()`UPDATE prompt_versions SET performance_metrics = '{}' WHERE id IN ${sql()(Object.values(pv))}`
    // Act
    const res = await summary(acme.admin)
    // Assess
    expect(res.body.refreshedPromptVersionIds.sort()).toEqual([pv.v1, pv.v2].sort())
    const rows = await sql()<{ id: number; performanceMetrics: any }[]>`
      SELECT id, performance_metrics FROM prompt_versions WHERE id IN ${sql()(Object.values(pv))}`
    const metrics = new Map(rows.map((r) => [r.id, r.performanceMetrics]))
    expect(metrics.get(pv.v1)).toMatchObject({
      window: { from: FROM, to: TO },
      drafts: 5,
      approvalRate: 0.75,
      latencyMs: { p50: 2500, p95: 3850 },
    })
    expect(typeof metrics.get(pv.v1).refreshedAt).toBe('string')
    expect(metrics.get(pv.v2)).toMatchObject({ drafts: 4, tokens: { total: 450, mean: 150 } })
    expect(metrics.get(pv.global)).toEqual({})
    expect(metrics.get(pv.other)).toEqual({})
  })

  it("keeps tenants apart: another tenant sees only its own drafts, and an admin cannot ask for acme's", async () => {
    // Act
    const mine = await summary(globex.admin)
    const foreign = await summary(globex.admin, `from=${FROM}&to=${TO}&tenantId=${acme.id}`)
    const asSuper = await summary(app.superToken, `from=${FROM}&to=${TO}&tenantId=${globex.id}`)
    // Assess
    expect(mine.body.overall).toMatchObject({
      drafts: 2,
      approvalRate: 0.5,
      rejectionReasons: [{ reason: 'wrong price', count: 1 }],
    })
    expect(mine.body.overall.latencyMs.p50).toBe(50_000)
    expect(foreign.status).toBe(403)
    expect(asSuper.status).toBe(200)
    expect(asSuper.body.overall.drafts).toBe(2)
  })

  it('answers an empty window with zeros and nulls, and validates its input', async () => {
    // Act
    const empty = await summary(acme.admin, 'from=2020-01-01&to=2020-02-01')
    const defaults = await summary(acme.admin, '')
    const reversed = await summary(acme.admin, `from=${TO}&to=${FROM}`)
    const garbage = await summary(acme.admin, 'from=yesterday')
    const agent = await summary(acme.agent)
    // Assess
    expect(empty.status).toBe(200)
    expect(empty.body.overall).toMatchObject({
      drafts: 0,
      approvalRate: null,
      approvedUneditedRate: null,
      meanEditSimilarity: null,
      meanEditDistance: null,
      rejectionReasons: [],
      escalation: { escalated: 0, rate: null, byReason: [] },
      latencyMs: { p50: null, p95: null, mean: null },
      tokens: { total: 0, mean: null },
    })
    expect(empty.body.byPromptVersion).toEqual([])
    expect(empty.body.overall.calibration.every((b: any) => b.drafts === 0)).toBe(true)
    // Default window: the 30 days up to now.
    expect(defaults.status).toBe(200)
    expect(new Date(defaults.body.to).getTime() - new Date(defaults.body.from).getTime()).toBe(
      30 * 24 * 3600 * 1000,
    )
    expect(reversed.status).toBe(400)
    expect(garbage.status).toBe(400)
    expect(agent.status).toBe(403)
  })
})
