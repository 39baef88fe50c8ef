import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const FROM = '2025-03-01T00:00:00.000Z'
const TO = '2025-04-01T00:00:00.000Z'

interface Fixture {
  pv: 'v1' | 'v2'
  status: string
  channel: 'api' | 'whmcs' | null
  shown: { api?: boolean; whmcs?: boolean }
  confidence: number
  approval?: { edited: boolean; similarity: number; correction: boolean }
  rejectReason?: string
  createdAt?: string
}

/**
 * Every expected figure below is counted by hand from this table.
 *  #  pv  status           channel  shown     approval (edited, similarity, correction)  conf
 *  1  v1  sent_as_drafted  whmcs    whmcs     no, 1.0                                    85
 *  2  v1  sent_edited      whmcs    whmcs     yes, 0.82                                  70
 *  3  v1  replaced         whmcs    whmcs     yes, 0.3, correction                       45
 *  4  v1  approved         api      api       no, 1.0                                    90
 *  5  v1  rejected         whmcs    whmcs     ("wrong price", the panel's Not helpful)   30
 *  6  v2  sent_edited      whmcs    both      yes, 0.6, correction                       65
 *  7  v2  approved         api      api       yes, 0.9                                   75
 *  8  v2  rejected         api      api       ("too long")                               15
 *  9  v2  pending          -        whmcs                                                55
 * 10  v2  superseded       -        api                                                  25
 */
const FIXTURE: Fixture[] = [
  {
    pv: 'v1',
    status: 'sent_as_drafted',
    channel: 'whmcs',
    shown: { whmcs: true },
    confidence: 85,
    approval: { edited: false, similarity: 1, correction: false },
  },
  {
    pv: 'v1',
    status: 'sent_edited',
    channel: 'whmcs',
    shown: { whmcs: true },
    confidence: 70,
    approval: { edited: true, similarity: 0.82, correction: false },
  },
  {
    pv: 'v1',
    status: 'replaced',
    channel: 'whmcs',
    shown: { whmcs: true },
    confidence: 45,
    approval: { edited: true, similarity: 0.3, correction: true },
  },
  {
    pv: 'v1',
    status: 'approved',
    channel: 'api',
    shown: { api: true },
    confidence: 90,
    approval: { edited: false, similarity: 1, correction: false },
  },
  {
    pv: 'v1',
    status: 'rejected',
    channel: 'whmcs',
    shown: { whmcs: true },
    confidence: 30,
    rejectReason: 'Wrong price',
  },
  {
    pv: 'v2',
    status: 'sent_edited',
    channel: 'whmcs',
    shown: { api: true, whmcs: true },
    confidence: 65,
    approval: { edited: true, similarity: 0.6, correction: true },
  },
  {
    pv: 'v2',
    status: 'approved',
    channel: 'api',
    shown: { api: true },
    confidence: 75,
    approval: { edited: true, similarity: 0.9, correction: false },
  },
  {
    pv: 'v2',
    status: 'rejected',
    channel: 'api',
    shown: { api: true },
    confidence: 15,
    rejectReason: 'Too long',
  },
  { pv: 'v2', status: 'pending', channel: null, shown: { whmcs: true }, confidence: 55 },
  { pv: 'v2', status: 'superseded', channel: null, shown: { api: true }, confidence: 25 },
]

const distribution = (counts: [number, number, number, number, number, number]) =>
  [
    { bucket: '0-0.2', min: 0, max: 0.2 },
    { bucket: '0.2-0.4', min: 0.2, max: 0.4 },
    { bucket: '0.4-0.6', min: 0.4, max: 0.6 },
    { bucket: '0.6-0.8', min: 0.6, max: 0.8 },
    { bucket: '0.8-0.95', min: 0.8, max: 0.95 },
    { bucket: '0.95-1', min: 0.95, max: 1 },
  ].map((b, i) => ({ ...b, count: counts[i] }))

describe('Function: analytics summary by review channel', () => {
  let app: TestApp
  let acme: TenantFixture
  let globex: TenantFixture
  const pv = { v1: 0, v2: 0 }
  const sql = () => app.rt.deps.sql

  async function insert(t: TenantFixture, versionId: number, d: Fixture, i: number) {
    const [ticket] = await sql()<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content, whmcs_ticket_id)
      VALUES (${t.id}, ${`Fixture ${i}`}, 'fixture', ${i}) RETURNING id`
    const created = d.createdAt ?? `2025-03-${String(10 + (i % 15)).padStart(2, '0')}T12:00:00Z`
    const [draft] = await sql()<{ id: number }[]>`
      INSERT INTO ai_replies (tenant_id, ticket_id, request_id, prompt_version_id, ai_reply, confidence_score,
        provider, model, status, review_channel, reject_reason, shown_api_at, shown_whmcs_at, created_at)
      VALUES (${t.id}, ${ticket!.id}, ${randomUUID()}, ${versionId}, 'draft text', ${d.confidence}, 'builtin',
        'extractive', ${d.status}, ${d.channel}, ${d.rejectReason ?? null}, ${d.shown.api ? created : null},
        ${d.shown.whmcs ? created : null}, ${created})
      RETURNING id`
    if (d.approval) {
      await sql()`
        INSERT INTO approved_replies (tenant_id, ticket_id, ai_reply_id, final_reply, edited, edit_distance,
                                      is_correction, channel)
        VALUES (${t.id}, ${ticket!.id}, ${draft!.id}, 'final', ${d.approval.edited}, ${d.approval.similarity},
                ${d.approval.correction}, ${d.channel})`
    }
  }

  beforeAll(async () => {
    app = await startTestApp({ workers: false })
    ;[acme, globex] = await Promise.all([
      createTenant(app, 'channels-acme'),
      createTenant(app, 'channels-globex'),
    ])
    const version = async (tenantId: number, v: string) => {
      const [row] = await sql()<{ id: number }[]>`
        INSERT INTO prompt_versions (tenant_id, version, name, system_prompt, context_template, task_template)
        VALUES (${tenantId}, ${v}, ${`Prompt ${v}`}, 's', 'c', 't') RETURNING id`
      return row!.id
    }
    pv.v1 = await version(acme.id, 'v1')
    pv.v2 = await version(acme.id, 'v2')
    for (const [i, d] of FIXTURE.entries()) await insert(acme, pv[d.pv], d, i + 1)
    // Outside the window, and another tenant's: neither may count.
    await insert(acme, pv.v1, { ...FIXTURE[0]!, createdAt: TO }, 100)
    const other = await version(globex.id, 'v1')
    await insert(globex, other, FIXTURE[2]!, 1)
  })
  afterAll(async () => app?.stop())

  const summary = async () => {
    const res = await app.call('GET', `/analytics/summary?from=${FROM}&to=${TO}`, undefined, {
      token: acme.admin,
    })
    expect(res.status).toBe(200)
    return res.body
  }

  it('splits the outcomes by channel as counted by hand', async () => {
    // Act
    const { overall } = await summary()
    // Assess
    expect(overall.byChannel.api).toEqual({
      shown: 5, // #4 #6 #7 #8 #10
      decided: 3, // #4 #7 #8
      usedAsIs: 1, // #4
      usedEdited: 1, // #7
      replaced: 0,
      rejected: 1, // #8
      usedRate: 0.666667,
      similarity: { mean: 0.95, distribution: distribution([0, 0, 0, 0, 1, 1]) }, // 1.0, 0.9
    })
    expect(overall.byChannel.whmcs).toEqual({
      shown: 6, // #1 #2 #3 #5 #6 #9
      decided: 5, // #1 #2 #3 #5 #6
      usedAsIs: 1, // #1
      usedEdited: 2, // #2 #6
      replaced: 1, // #3
      rejected: 1, // #5
      usedRate: 0.6,
      similarity: { mean: 0.68, distribution: distribution([0, 1, 0, 1, 1, 1]) }, // 1.0 0.82 0.3 0.6
    })
  })

  it('counts WHMCS outcomes as decisions in the status counts, the approval rate and calibration', async () => {
    // Act
    const { overall } = await summary()
    // Assess
    expect(overall.byStatus).toEqual({
      pending: 1,
      approved: 2,
      rejected: 2,
      superseded: 1,
      sentAsDrafted: 1,
      sentEdited: 2,
      replaced: 1,
    })
    expect(overall.approvalRate).toBe(0.625) // used #1 #2 #4 #6 #7 of decided + replaced (8)
    expect(
      overall.calibration.map((b: { drafts: number; approved: number; rejected: number }) => [
        b.drafts,
        b.approved,
        b.rejected,
      ]),
    ).toEqual([
      [1, 0, 1], // #8
      [2, 0, 1], // #5 rejected, #10 superseded
      [2, 0, 1], // #3 replaced, #9 pending
      [3, 3, 0], // #2 #6 #7
      [2, 2, 0], // #1 #4
    ])
  })

  it('gives the same split per prompt version', async () => {
    // Act
    const { byPromptVersion } = await summary()
    const v1 = byPromptVersion.find((v: { version: string }) => v.version === 'v1')
    const v2 = byPromptVersion.find((v: { version: string }) => v.version === 'v2')
    // Assess
    expect(v1.approvalRate).toBe(0.6) // #1 #2 #4 of #1-#5
    expect(v1.byChannel.api).toMatchObject({ shown: 1, decided: 1, usedAsIs: 1, usedRate: 1 })
    expect(v1.byChannel.whmcs).toMatchObject({
      shown: 4,
      decided: 4,
      usedAsIs: 1,
      usedEdited: 1,
      replaced: 1,
      rejected: 1,
      usedRate: 0.5,
      similarity: { mean: 0.706667, distribution: distribution([0, 1, 0, 0, 1, 1]) },
    })
    expect(v2.approvalRate).toBe(0.666667) // #6 #7 of #6 #7 #8
    expect(v2.byChannel.api).toMatchObject({
      shown: 4,
      decided: 2,
      usedEdited: 1,
      rejected: 1,
      usedRate: 0.5,
    })
    expect(v2.byChannel.api.similarity.mean).toBe(0.9)
    expect(v2.byChannel.whmcs).toMatchObject({ shown: 2, decided: 1, usedEdited: 1, usedRate: 1 })
    expect(v2.byChannel.whmcs.similarity.mean).toBe(0.6)
  })
})
