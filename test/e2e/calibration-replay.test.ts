/**
 * Issue 28 end to end against the fake WHMCS: a desk's answered and closed tickets are imported with their
 * staff replies, drafted in shadow and labelled, its own calibration is fitted and adopted, and the next
 * draft records that calibration's version; another tenant's calibration never changes, and the replay
 * leaves nothing behind but its run, its samples and its calibration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadDataset } from '../../eval/run.ts'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const CREDS = { identifier: 'calib-ident-7a1c', secret: 'calib-secret-Z4x9q' }
/** A ticket of the history whose staff reply holds personal data beside knowledge the KB lacks. */
const PERSONAL = {
  subject: 'Zone check failing',
  message: 'My domain fails the zone check, what can I do? Thanks, Jane',
  reply:
    'I have looked at the account of jane.roe@example.org. Run the check under Domains → Zonemaster to see ' +
    'which record fails; if you are stuck, call me on +1 415 555 0199.',
  // Answered today: a replay of the last day imports it alone.
  daysAgo: 0,
}
const IDLE_MS = 120_000

/** Everything a replay must not touch, counted per tenant. */
async function footprint(app: TestApp, tenantId: number) {
  const [row] = await app.rt.deps.sql<Record<string, number>[]>`
    SELECT
      (SELECT count(*)::int FROM ai_replies WHERE tenant_id = ${tenantId}) AS drafts,
      (SELECT count(*)::int FROM approved_replies WHERE tenant_id = ${tenantId}) AS approvals,
      (SELECT count(*)::int FROM whmcs_sends WHERE tenant_id = ${tenantId}) AS sends,
      (SELECT count(*)::int FROM kb_chunks WHERE tenant_id = ${tenantId}
         AND source_kind IN ('approved_example', 'correction')) AS learnt,
      (SELECT count(*)::int FROM tickets WHERE tenant_id = ${tenantId}) AS tickets,
      (SELECT count(*)::int FROM messages WHERE tenant_id = ${tenantId}) AS messages,
      (SELECT count(*)::int FROM audit_logs WHERE tenant_id = ${tenantId}) AS audits,
      (SELECT count(*)::int FROM analytics_daily WHERE tenant_id = ${tenantId}) AS analytics_days,
      (SELECT count(*)::int FROM analytics_stale_days WHERE tenant_id = ${tenantId}) AS stale_days,
      (SELECT count(*)::int FROM outbox WHERE tenant_id = ${tenantId} AND queue <> 'calibrate') AS jobs`
  return row!
}

/** Polls `GET /calibration` until the run is no longer running (a condition, not a guessed delay). */
async function finished(app: TestApp, token: string) {
  for (let i = 0; i < 3000; i++) {
    const res = await app.call('GET', '/calibration', undefined, { token })
    if (res.body.run && res.body.run.status !== 'running') return res.body
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the replay did not finish')
}

describe('Function: replay of a WHMCS desk’s history (fake WHMCS, built-in provider)', () => {
  let app: TestApp
  let fake: FakeWhmcs
  let desk: TenantFixture
  let other: TenantFixture
  const { articles, tickets } = loadDataset()

  beforeAll(async () => {
    fake = await startFakeWhmcs(CREDS)
    fake.store.seedHistory(
      tickets.map((t, i) => ({
        subject: t.subject,
        message: t.content,
        reply: t.staffReply,
        daysAgo: 1 + (i % 30),
      })),
    )
    // Outside the default 90-day window: never imported.
    fake.store.seedHistory([
      { subject: 'Old one', message: 'How long does DNS take?', reply: 'About 24 hours.', daysAgo: 200 },
    ])
    app = await startTestApp()
    desk = await createTenant(app, 'calib-desk')
    other = await createTenant(app, 'calib-other')
    const patch = { whmcsUrl: fake.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret }
    expect((await app.call('PATCH', `/tenants/${desk.id}`, patch, { token: app.superToken })).status).toBe(
      200,
    )
    const markdown = articles.map(({ filename, text }) => ({ filename, text }))
    for (const t of [desk, other]) {
      expect((await app.call('POST', '/kb/import', { markdown }, { token: t.admin })).status).toBeLessThan(
        300,
      )
    }
    await app.rt.queues.idle(IDLE_MS)
  }, 300_000)
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
  })

  it('imports, replays and adopts the desk’s own calibration, with no side effects beyond it', async () => {
    // Prepare
    const before = await footprint(app, desk.id)
    const otherBefore = await app.call('GET', '/calibration', undefined, { token: other.admin })

    // Act
    const started = await app.call('POST', '/calibration/replay', {}, { token: desk.admin })
    await app.rt.queues.idle(IDLE_MS)
    const view = await finished(app, desk.admin)

    // Assess: the run, its samples, its calibration
    expect(started.status).toBe(202)
    expect(started.body).toMatchObject({
      status: 'running',
      params: { days: 90, limit: 500, source: 'whmcs' },
    })
    const history = tickets.length
    expect(view.run).toMatchObject({ id: started.body.id, status: 'done', total: history, errors: 0 })
    expect(view.run.done).toBe(history)
    expect(view.latestFit).toMatchObject({ version: 1, source: 'replay', adopted: true })
    expect(view.inForce).toMatchObject({ source: 'replay', version: 1, id: `tenant:${desk.id}/v1` })
    // Adopted because a part of it beats the built-in entry out of sample on the desk's own labels
    // (shared/trust/fit.ts). This history is the eval set the built-in cut-offs were fitted on, so they hold
    // the budget here and are usually kept; the map fitted on the desk's labels is better calibrated.
    const { crossValidated: fit, current, budget, reason } = view.latestFit
    expect(reason).toMatch(/^adopted; /)
    expect(reason).toMatch(/confidence map adopted/)
    expect(fit.ece).toBeLessThan(current.ece)
    if (reason.includes('cut-offs adopted')) {
      expect(fit.answerableEscalated <= budget || fit.answerableEscalated < current.answerableEscalated).toBe(
        true,
      )
    } else {
      expect(current.answerableEscalated).toBeLessThanOrEqual(budget)
    }
    expect(view.inForce.samples).toMatchObject({ total: history })
    expect(fake.callsOf('GetTicket')).toHaveLength(history)
    expect(fake.calls.some((c) => c.action === 'AddTicketReply' || c.action === 'AddTicketNote')).toBe(false)
    // Nothing else: no drafts, sends, learning, tickets, audit rows, analytics or other jobs
    expect(await footprint(app, desk.id)).toEqual(before)
    // Another tenant's calibration never changes
    const otherAfter = await app.call('GET', '/calibration', undefined, { token: other.admin })
    expect(otherAfter.body.inForce).toEqual(otherBefore.body.inForce)
    expect(otherAfter.body.inForce.source).toBe('default')
  }, 300_000)

  it("records the tenant's calibration version on the next ticket's draft, and the default on another's", async () => {
    // Act
    const question = {
      subject: 'ssl renewal',
      content: 'Do I have to renew the free SSL certificate by hand every year?',
    }
    for (const t of [desk, other]) {
      expect((await app.call('POST', '/tickets', question, { token: t.customer })).status).toBe(201)
    }
    await app.rt.queues.idle(IDLE_MS)
    const rows = await app.rt.deps.sql<{ tenantId: number; calibration: Record<string, unknown> }[]>`
      SELECT tenant_id, calibration FROM ai_replies WHERE tenant_id IN ${app.rt.deps.sql([desk.id, other.id])}`

    // Assess
    const mine = rows.find((r) => r.tenantId === desk.id)!.calibration
    const theirs = rows.find((r) => r.tenantId === other.id)!.calibration
    expect(mine).toMatchObject({
      id: `tenant:${desk.id}/v1`,
      source: 'replay',
      version: 1,
      tenantCalibrationId: expect.any(Number),
    })
    expect(theirs).toMatchObject({ id: 'builtin/builtin-hash-v1@2026-12-02', source: 'default' })
    expect(theirs.version).toBeUndefined()
  }, 120_000)

  it('answers a second replay while one runs with 409, and stops a cancelled one between chunks', async () => {
    // Prepare: the import waits on WHMCS while the test acts
    const held = fake.hold((c) => c.action === 'GetTickets')

    // Act
    const first = await app.call('POST', '/calibration/replay', { limit: 10 }, { token: desk.admin })
    await held.arrived
    const second = await app.call('POST', '/calibration/replay', {}, { token: desk.admin })
    const cancelled = await app.call('POST', `/calibration/runs/${first.body.id}/cancel`, undefined, {
      token: desk.admin,
    })
    held.release()
    await app.rt.queues.idle(IDLE_MS)
    const view = await app.call('GET', '/calibration', undefined, { token: desk.admin })

    // Assess
    expect(first.status).toBe(202)
    expect(second.status).toBe(409)
    expect(second.body.error.details).toEqual({ runId: first.body.id })
    expect(cancelled.body).toMatchObject({ status: 'cancelled' })
    expect(view.body.run).toMatchObject({ id: first.body.id, status: 'cancelled', total: 0 })
    expect(view.body.latestFit.version).toBe(1)
    const again = await app.call('POST', `/calibration/runs/${first.body.id}/cancel`, undefined, {
      token: desk.admin,
    })
    expect(again.status).toBe(409)
  }, 120_000)

  it('lets an admin roll back to the built-in calibration and pin a version again', async () => {
    // Act
    const back = await app.call('POST', '/calibration/rollback', undefined, { token: desk.admin })
    const twice = await app.call('POST', '/calibration/rollback', undefined, { token: desk.admin })
    const versions = await app.call('GET', '/calibration/versions', undefined, { token: desk.admin })
    const pinned = await app.call(
      'POST',
      `/calibration/versions/${versions.body.items[0].id}/pin`,
      undefined,
      {
        token: desk.admin,
      },
    )
    const unpinned = await app.call('DELETE', '/calibration/pin', undefined, { token: desk.admin })

    // Assess
    expect(back.status).toBe(200)
    expect(back.body.inForce).toMatchObject({ source: 'default', pinned: true })
    expect(twice.status).toBe(409)
    expect(pinned.body.inForce).toMatchObject({ source: 'replay', version: 1, pinned: true })
    expect(unpinned.body.inForce).toMatchObject({ version: 1, pinned: false })
  })

  it("answers 404 for another tenant's run, calibration version and knowledge gap", async () => {
    // Prepare
    const [run] = await app.rt.deps.sql<
      { id: number }[]
    >`SELECT id FROM calibration_runs WHERE tenant_id = ${desk.id} LIMIT 1`
    const [version] = await app.rt.deps.sql<
      { id: number }[]
    >`SELECT id FROM tenant_calibrations WHERE tenant_id = ${desk.id} LIMIT 1`
    const [gap] = await app.rt.deps.sql<
      { id: number }[]
    >`SELECT id FROM knowledge_gaps WHERE tenant_id = ${desk.id} LIMIT 1`

    // Act
    const cancel = await app.call('POST', `/calibration/runs/${run!.id}/cancel`, undefined, {
      token: other.admin,
    })
    const pin = await app.call('POST', `/calibration/versions/${version!.id}/pin`, undefined, {
      token: other.admin,
    })
    const suggest = await app.call('POST', `/knowledge-gaps/${gap!.id}/suggestion`, undefined, {
      token: other.admin,
    })

    // Assess
    expect([cancel.status, pin.status, suggest.status]).toEqual([404, 404, 404])
  })

  it('lists the knowledge gaps of the replay and suggests an article written from the agents’ replies only', async () => {
    // Act
    const gaps = await app.call('GET', '/knowledge-gaps', undefined, { token: desk.admin })
    const withReply = gaps.body.items.find((g: { examples: Array<{ reply: string | null }> }) =>
      g.examples.some((e) => e.reply),
    )
    const suggestion = await app.call('POST', `/knowledge-gaps/${withReply.id}/suggestion`, undefined, {
      token: desk.admin,
    })

    // Assess
    expect(gaps.status).toBe(200)
    expect(gaps.body.items.length).toBeGreaterThan(3)
    expect(gaps.body.items.every((g: { count: number }) => g.count >= 1)).toBe(true)
    expect(suggestion.status).toBe(200)
    expect(suggestion.body).toMatchObject({
      gapId: withReply.id,
      category: 'faq',
      basedOn: expect.any(Number),
    })
    const customerText = tickets.map((t) => t.content)
    for (const text of customerText) expect(suggestion.body.content).not.toContain(text.slice(0, 40))
  })

  it('leaves personal data out of a gap and its suggestion, and keeps what the agent knew', async () => {
    // Prepare
    fake.store.seedHistory([PERSONAL])

    // Act: a replay of the last day, too small a sample to adopt, still finds the gap
    const started = await app.call('POST', '/calibration/replay', { days: 1 }, { token: desk.admin })
    await app.rt.queues.idle(IDLE_MS)
    const view = await finished(app, desk.admin)
    const gaps = await app.call('GET', '/knowledge-gaps', undefined, { token: desk.admin })
    const zone = gaps.body.items.find((g: { examples: Array<{ subject: string }> }) =>
      g.examples.some((e) => e.subject === PERSONAL.subject),
    )
    const suggestion = await app.call('POST', `/knowledge-gaps/${zone.id}/suggestion`, undefined, {
      token: desk.admin,
    })

    // Assess
    expect(view.run).toMatchObject({ id: started.body.id, status: 'done', total: 1 })
    expect(view.latestFit.reason).toMatch(/^not adopted: too few labelled samples/)
    expect(zone.terms.join(' ')).toMatch(/zonemast/i)
    expect(suggestion.body.content).toContain('Zonemaster')
    for (const shown of [JSON.stringify(gaps.body), JSON.stringify(suggestion.body)]) {
      expect(shown).not.toContain('jane.roe@example.org')
      expect(shown).not.toContain('555 0199')
      expect(shown).not.toContain('Jane')
    }
  })

  it('draws the reliability diagram, live beside the calibration in force, as SVG', async () => {
    // Act
    const res = await fetch(`${app.url}/calibration/reliability.svg`, {
      headers: { authorization: `Bearer ${desk.admin}` },
    })
    const svg = await res.text()

    // Assess
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('image/svg+xml')
    expect(svg).toMatch(/^<svg /)
    expect(svg).toContain('Live: decided drafts')
    expect(svg).toContain(`In force: tenant:${desk.id}/v1`)
  })
})
