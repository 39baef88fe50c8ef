import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CALIBRATIONS } from '#shared/trust/calibration'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const FROM = '2025-03-01T00:00:00.000Z'
const TO = '2025-04-01T00:00:00.000Z'
const BUILTIN = CALIBRATIONS[0]!

describe('Function: liveCalibration (GET /analytics/summary liveCalibration)', () => {
  let app: TestApp
  let acme: TenantFixture
  let globex: TenantFixture

  /** A draft with its outcome: 'unedited' and 'edited' approvals, 'rejected', or 'pending'. */
  async function draft(
    t: TenantFixture,
    confidence: number,
    outcome: 'unedited' | 'edited' | 'rejected' | 'pending',
  ) {
    const sql = app.rt.deps.sql
    const [ticket] = await sql<{ id: number }[]>`
      INSERT INTO tickets (tenant_id, subject, content) VALUES (${t.id}, 'Fixture', 'fixture') RETURNING id`
    const status = outcome === 'rejected' || outcome === 'pending' ? outcome : 'approved'
    const [row] = await sql<{ id: number }[]>`
      INSERT INTO ai_replies (tenant_id, ticket_id, request_id, ai_reply, confidence_score, confidence_raw,
        calibration, provider, model, status, created_at)
      VALUES (${t.id}, ${ticket!.id}, ${randomUUID()}, 'draft', ${confidence}, ${confidence},
        ${sql.json({ id: BUILTIN.id })}, 'builtin', 'builtin-extractive', ${status}, '2025-03-10T12:00:00Z')
      RETURNING id`
    if (status === 'approved') {
      await sql`
        INSERT INTO approved_replies (tenant_id, ticket_id, ai_reply_id, final_reply, edited, edit_distance)
        VALUES (${t.id}, ${ticket!.id}, ${row!.id}, 'final', ${outcome === 'edited'}, ${outcome === 'edited' ? 0.5 : 1})`
    }
  }

  beforeAll(async () => {
    app = await startTestApp({ workers: false })
    ;[acme, globex] = await Promise.all([
      createTenant(app, 'livecal-acme'),
      createTenant(app, 'livecal-globex'),
    ])
    // acme: bucket 80-90: 3 unedited, 1 edited → 0.75 right; bucket 10-20: 1 rejected, 1 unedited → 0.5
    for (const o of ['unedited', 'unedited', 'unedited', 'edited'] as const) await draft(acme, 85, o)
    await draft(acme, 15, 'rejected')
    await draft(acme, 15, 'unedited')
    await draft(acme, 50, 'pending')
    // globex: all wrong; must not leak into acme's figures
    for (let i = 0; i < 3; i++) await draft(globex, 85, 'rejected')
  })
  afterAll(() => app?.stop())

  it('buckets decided drafts by calibrated confidence, approved unedited counting as right, beside the eval set', async () => {
    // Act
    const res = await app.call('GET', `/analytics/summary?from=${FROM}&to=${TO}`, undefined, {
      token: acme.admin,
    })

    // Assess
    expect(res.status).toBe(200)
    const live = res.body.liveCalibration
    expect(live).toMatchObject({ decided: 6, right: 4 })
    expect(live.buckets).toHaveLength(10)
    expect(live.buckets[8]).toMatchObject({
      bucket: '80-90',
      decided: 4,
      right: 3,
      observed: 0.75,
      meanConfidence: 85,
    })
    expect(live.buckets[1]).toMatchObject({ decided: 2, right: 1, observed: 0.5, meanConfidence: 15 })
    expect(live.buckets[5]).toMatchObject({ decided: 0, observed: null })
    // ECE by hand: 4/6 × |0.75 − 0.85| + 2/6 × |0.5 − 0.15|
    expect(live.ece).toBeCloseTo((4 / 6) * 0.1 + (2 / 6) * 0.35, 3)
    expect(live.calibrations).toEqual([{ id: BUILTIN.id, drafts: 7, derivedFrom: BUILTIN.derivedFrom }])
    expect(live.eval.id).toBe(BUILTIN.id)
    expect(live.buckets[1].evalAccuracy).toBe(BUILTIN.evalReliability[1]!.accuracy)
  })

  it('shows another tenant only its own drafts', async () => {
    // Act
    const res = await app.call('GET', `/analytics/summary?from=${FROM}&to=${TO}`, undefined, {
      token: globex.admin,
    })

    // Assess
    expect(res.body.liveCalibration).toMatchObject({ decided: 3, right: 0 })
    expect(res.body.liveCalibration.buckets[8]).toMatchObject({ decided: 3, observed: 0 })
  })
})
