/**
 * `byDay` of GET /analytics/summary (issue 29, the console's "drafts per day"): per UTC day, the drafts
 * made and how they were used, read from the stored daily figures and, at a window's partial edge days,
 * from the drafts themselves, adding up to the window's totals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sourceFigures } from '#shared/analytics/daily'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const DAY = 24 * 3600 * 1000

describe('Function: analytics summary byDay', () => {
  let app: TestApp
  let t: TenantFixture
  let other: TenantFixture
  let today: number
  const sql = () => app.rt.deps.sql
  const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

  beforeAll(async () => {
    app = await startTestApp()
    ;[t, other] = await Promise.all([createTenant(app, 'byday'), createTenant(app, 'byday-other')])
    const [row] = (await sql()`
      SELECT extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC'))::float8 * 1000 AS today`) as unknown as [
      { today: number },
    ]
    today = row.today
  })
  afterAll(async () => app?.stop())

  const draftFor = async (who: TenantFixture, subject: string) => {
    const res = await app.call(
      'POST',
      '/tickets',
      { subject, content: `${subject}?` },
      { token: who.customer },
    )
    expect(res.status).toBe(201)
    await app.rt.queues.idle()
    const drafts = await app.call('GET', `/tickets/${res.body.id}/drafts`, undefined, { token: who.agent })
    return drafts.body.items[0].id as number
  }
  const summary = async (from: Date, to: Date, who = t) => {
    const q = `from=${from.toISOString()}&to=${to.toISOString()}`
    const res = await app.call('GET', `/analytics/summary?${q}`, undefined, { token: who.admin })
    expect(res.status).toBe(200)
    return res.body
  }

  it('counts drafts and their use per day, edge days included, and adds up to the window', async () => {
    // Prepare: two drafts yesterday (one approved as is, one rejected), three today (one edited, one
    // approved as is, one pending), and one of another tenant.
    const ids = []
    for (const s of ['Mail quota', 'FTP login', 'DNS zone', 'SSL renew', 'PHP version'])
      ids.push(await draftFor(t, s))
    await draftFor(other, 'Other tenant')
    const [y1, y2, d1, d2] = ids as [number, number, number, number, number]
    await sql()`UPDATE ai_replies SET created_at = created_at - interval '1 day' WHERE id IN ${sql()([y1, y2])}`
    const agent = { token: t.agent }
    expect((await app.call('POST', `/drafts/${y1}/approve`, {}, agent)).status).toBe(201)
    expect((await app.call('POST', `/drafts/${y2}/reject`, { reason: 'wrong port' }, agent)).status).toBe(200)
    const edited = { finalReply: 'Renew it in SSL/TLS Status, then run AutoSSL again.' }
    expect((await app.call('POST', `/drafts/${d1}/approve`, edited, agent)).status).toBe(201)
    expect((await app.call('POST', `/drafts/${d2}/approve`, {}, agent)).status).toBe(201)
    // Act: a window from the middle of the day before yesterday (a partial edge day) to tomorrow.
    const from = new Date(today - 1.5 * DAY)
    const to = new Date(today + DAY)
    const body = await summary(from, to)
    // Assess
    const escalated = (ids: number[]) =>
      sql()`SELECT count(*)::int AS n FROM ai_replies WHERE id IN ${sql()(ids)} AND escalated`.then(
        (r) => r[0]!.n,
      )
    expect(body.byDay).toEqual([
      {
        day: isoDay(today - DAY),
        drafts: 2,
        escalated: await escalated([y1, y2]),
        usedAsIs: 1,
        usedEdited: 0,
        replaced: 0,
        rejected: 1,
      },
      {
        day: isoDay(today),
        drafts: 3,
        escalated: await escalated(ids.slice(2)),
        usedAsIs: 1,
        usedEdited: 1,
        replaced: 0,
        rejected: 0,
      },
    ])
    expect(body.byDay.reduce((n: number, d: { drafts: number }) => n + d.drafts, 0)).toBe(body.overall.drafts)
    // The stored days and the from-scratch computation agree.
    const scratch = await sourceFigures(sql(), t.id, { from, to })
    expect(scratch.byDay).toEqual(body.byDay)
    // Another tenant's window never holds these days.
    const theirs = await summary(from, to, other)
    expect(theirs.byDay).toEqual([expect.objectContaining({ day: isoDay(today), drafts: 1 })])
  })

  it('answers an empty series for a window without drafts', async () => {
    const body = await summary(new Date(today - 30 * DAY), new Date(today - 20 * DAY))
    expect(body.byDay).toEqual([])
  })
})
