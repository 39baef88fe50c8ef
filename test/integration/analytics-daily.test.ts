/**
 * The daily figures behind GET /analytics/summary (analytics_daily, issue 12) against a from-scratch
 * computation over ai_replies, after the real write paths changed drafts: the draft pipeline, views,
 * approvals as is and edited, rejections, regenerations, replays of each, and concurrent writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { liveCalibration } from '#shared/analytics/calibration'
import { sourceFigures } from '#shared/analytics/daily'
import { analyticsSummary } from '#shared/analytics/summary'
import { handler as refreshSchedule } from '../../functions/schedule/analytics-refresh.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const DAY = 24 * 3600 * 1000

describe('Function: analytics daily figures', () => {
  let app: TestApp
  let acme: TenantFixture
  let globex: TenantFixture
  const sql = () => app.rt.deps.sql

  // Whole UTC days around the database's today, so every draft of the test lies in a whole day of the
  // window and is read from analytics_daily, never from the live edge queries.
  let from: Date
  let to: Date
  const query = () => `from=${from.toISOString()}&to=${to.toISOString()}`

  beforeAll(async () => {
    app = await startTestApp()
    ;[acme, globex] = await Promise.all([createTenant(app, 'daily-acme'), createTenant(app, 'daily-globex')])
    for (const t of [acme, globex]) {
      const kb = await app.call(
        'POST',
        '/kb/articles',
        {
          title: 'Reset your cPanel password',
          content: 'Open the client area, choose Services, then Login to cPanel.',
        },
        { token: t.admin },
      )
      expect(kb.status).toBe(201)
    }
    await app.rt.queues.idle()
    const [{ today }] =
      (await sql()`SELECT extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC'))::float8 * 1000 AS today`) as unknown as [
        { today: number },
      ]
    from = new Date(today - DAY)
    to = new Date(today + 3 * DAY)
  })
  afterAll(async () => app?.stop())

  async function ticket(t: TenantFixture, subject: string, content: string) {
    const res = await app.call('POST', '/tickets', { subject, content }, { token: t.customer })
    expect(res.status).toBe(201)
    await app.rt.queues.idle()
    return res.body.id as number
  }
  const drafts = async (t: TenantFixture, ticketId: number) => {
    const res = await app.call('GET', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })
    expect(res.status).toBe(200)
    return res.body.items as Array<{ id: number; status: string }>
  }
  const summary = async (t: TenantFixture) => {
    const res = await app.call('GET', `/analytics/summary?${query()}`, undefined, { token: t.admin })
    expect(res.status).toBe(200)
    return res.body
  }
  /** The response computed from ai_replies alone, shaped as the API returns it. */
  const fromScratch = async (t: TenantFixture) => {
    const figures = sourceFigures(sql(), t.id, { from, to })
    const [s, live] = await Promise.all([
      analyticsSummary(sql(), t.id, { from, to }, figures),
      liveCalibration(sql(), t.id, { from, to }, figures),
    ])
    return JSON.parse(JSON.stringify({ ...s, liveCalibration: live }))
  }
  const comparable = (body: any) => ({
    overall: body.overall,
    byPromptVersion: body.byPromptVersion,
    liveCalibration: body.liveCalibration,
  })
  /** The API's answer (daily figures, refreshed incrementally) equals the from-scratch one. */
  async function expectMatchesScratch(t: TenantFixture) {
    const body = await summary(t)
    expect(comparable(body)).toEqual(comparable(await fromScratch(t)))
    const [daily] = await sql()<{ n: number }[]>`
      SELECT count(*)::int AS n FROM analytics_daily WHERE tenant_id = ${t.id}`
    expect(daily!.n).toBeGreaterThan(0)
    return body
  }

  it('matches a from-scratch computation after approvals, edits, rejections, regenerations and their replays', async () => {
    // Prepare: drafts through the pipeline, then the summary once so the day has stored figures.
    const tickets = []
    for (let i = 0; i < 6; i++)
      tickets.push(await ticket(acme, `Forgot my cPanel password ${i}`, 'How do I reset my cPanel password?'))
    await ticket(acme, 'Refund please', 'I want a refund for my hosting, or I will call my lawyer.')
    await ticket(globex, 'Forgot my cPanel password', 'How do I reset my cPanel password?')
    const before = await expectMatchesScratch(acme)
    expect(before.overall.drafts).toBe(7)
    expect(before.overall.byStatus.pending).toBe(7)

    // Act: every kind of review, each replayed, with a summary between the steps.
    const [a, b, c, d, e] = await Promise.all(
      tickets.slice(0, 5).map(async (id) => (await drafts(acme, id))[0]!),
    )
    expect((await app.call('POST', `/drafts/${a!.id}/approve`, {}, { token: acme.agent })).status).toBe(201)
    expect((await app.call('POST', `/drafts/${a!.id}/approve`, {}, { token: acme.agent })).status).toBe(409)
    await expectMatchesScratch(acme)
    const edited = {
      finalReply: 'Log in to the client area and open cPanel; the password form is under Security.',
    }
    expect((await app.call('POST', `/drafts/${b!.id}/approve`, edited, { token: acme.agent })).status).toBe(
      201,
    )
    expect(
      (
        await app.call(
          'POST',
          `/drafts/${c!.id}/reject`,
          { reason: ' Wrong  Product' },
          { token: acme.agent },
        )
      ).status,
    ).toBe(200)
    expect(
      (await app.call('POST', `/drafts/${c!.id}/reject`, { reason: 'again' }, { token: acme.agent })).status,
    ).toBe(409)
    await expectMatchesScratch(acme)
    // Regeneration: the new draft supersedes the pending one; then the new one is approved.
    expect(
      (await app.call('POST', `/tickets/${tickets[3]}/drafts`, undefined, { token: acme.agent })).status,
    ).toBe(202)
    await app.rt.queues.idle()
    const regenerated = await drafts(acme, tickets[3]!)
    expect(regenerated.map((x) => x.status).sort()).toEqual(['pending', 'superseded'])
    const fresh = regenerated.find((x) => x.status === 'pending')!
    expect(fresh.id).not.toBe(d!.id)
    expect((await app.call('POST', `/drafts/${fresh.id}/approve`, {}, { token: acme.agent })).status).toBe(
      201,
    )
    // A customer's new message outdates the pending draft of ticket 5 and queues another.
    const reply = await app.call(
      'POST',
      `/tickets/${tickets[4]}/messages`,
      { content: 'Any news?' },
      { token: acme.customer },
    )
    expect(reply.status).toBe(201)
    await app.rt.queues.idle()
    expect((await drafts(acme, tickets[4]!)).some((x) => x.id === e!.id && x.status === 'superseded')).toBe(
      true,
    )

    // Assess: the incremental figures equal the from-scratch ones, and say what happened.
    const after = await expectMatchesScratch(acme)
    expect(after.overall.drafts).toBe(9)
    expect(after.overall.byStatus).toMatchObject({ approved: 3, rejected: 1, superseded: 2, pending: 3 })
    expect(after.overall.rejectionReasons).toEqual([{ reason: 'wrong product', count: 1 }])
    expect(after.overall.byChannel.api.shown).toBeGreaterThanOrEqual(5)

    // Rebuilt from nothing (as after the migration's backfill), the stored figures answer the same.
    await sql()`DELETE FROM analytics_daily WHERE tenant_id = ${acme.id}`
    await sql()`
      INSERT INTO analytics_stale_days (tenant_id, day)
      SELECT DISTINCT tenant_id, (created_at AT TIME ZONE 'UTC')::date FROM ai_replies WHERE tenant_id = ${acme.id}`
    expect(comparable(await summary(acme))).toEqual(comparable(after))
  })

  it('keeps tenants apart: one tenant’s writes and figures never reach another’s', async () => {
    // Prepare: globex's figures, then acme's writes.
    const globexBefore = await expectMatchesScratch(globex)
    const [first] = await drafts(globex, (await ticket(globex, 'Password', 'How do I reset my password?'))!)
    const more = await ticket(acme, 'Password again', 'How do I reset my cPanel password?')
    const [mine] = await drafts(acme, more)
    // Act
    expect(
      (await app.call('POST', `/drafts/${mine!.id}/reject`, { reason: 'Too long' }, { token: acme.agent }))
        .status,
    ).toBe(200)
    const foreign = await app.call('POST', `/drafts/${first!.id}/approve`, {}, { token: acme.agent })
    // Assess
    expect(foreign.status).toBe(404)
    const globexAfter = await expectMatchesScratch(globex)
    expect(globexAfter.overall.drafts).toBe(globexBefore.overall.drafts + 1)
    expect(globexAfter.overall.rejectionReasons).toEqual([])
    const acmeAfter = await expectMatchesScratch(acme)
    expect(acmeAfter.overall.rejectionReasons).toContainEqual({ reason: 'too long', count: 1 })
  })

  it('folds every tenant’s stale days into the stored figures on schedule, so a summary finds none', async () => {
    // Prepare: new drafts for both tenants leave stale marks behind
    await ticket(acme, 'Password', 'I forgot my cPanel password, how do I reset it?')
    await ticket(globex, 'Password', 'How do I reset the cPanel password?')
    const staleOf = async (t: TenantFixture) =>
      (await sql()`SELECT count(*)::int AS n FROM analytics_stale_days WHERE tenant_id = ${t.id}`)[0]!.n
    expect(await staleOf(acme)).toBeGreaterThan(0)
    expect(await staleOf(globex)).toBeGreaterThan(0)
    // Act
    const first = await refreshSchedule()
    const second = await refreshSchedule()
    // Assess: nothing stale is left, the stored days answer as the drafts do, and a quiet run does nothing
    expect(first.tenants).toBeGreaterThanOrEqual(2)
    expect(first.days).toBeGreaterThanOrEqual(2)
    expect(await staleOf(acme)).toBe(0)
    expect(await staleOf(globex)).toBe(0)
    expect(second).toEqual({ tenants: 0, days: 0 })
    await expectMatchesScratch(acme)
    await expectMatchesScratch(globex)
  })

  it('loses no update when reviews and summaries run at once', async () => {
    // Prepare
    const ids = []
    for (let i = 0; i < 6; i++)
      ids.push(await ticket(acme, `Concurrent ${i}`, 'How do I reset my cPanel password?'))
    const pending = await Promise.all(ids.map(async (id) => (await drafts(acme, id))[0]!))
    // Act: approvals, rejections and summaries interleaved (on a server's pool they overlap for real).
    await Promise.all([
      ...pending.map((d, i) =>
        i % 2 === 0
          ? app.call('POST', `/drafts/${d.id}/approve`, {}, { token: acme.agent })
          : app.call('POST', `/drafts/${d.id}/reject`, { reason: 'Off topic' }, { token: acme.agent }),
      ),
      summary(acme),
      summary(acme),
      summary(acme),
    ])
    // Assess
    const body = await expectMatchesScratch(acme)
    expect(body.overall.rejectionReasons).toContainEqual({ reason: 'off topic', count: 3 })
  })
})
