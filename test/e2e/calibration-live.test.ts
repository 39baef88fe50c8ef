/**
 * Issue 28, item 4: reviewed drafts feed the same fit. API decisions become live samples labelled by what
 * the agent did, the refit schedule queues a refit once enough of them arrived, and the refit stores a
 * versioned calibration with the same adoption rule; an API tenant's replay takes its approved tickets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queueDueRefits, REFIT_AFTER } from '#shared/calibration/state'
import { type ClaimedJob, publishJobs } from '#shared/queue/outbox'
import { loadDataset } from '../../eval/run.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const IDLE_MS = 180_000

describe('Function: live recalibration from reviewed drafts (API tenant)', () => {
  let app: TestApp
  let desk: TenantFixture
  const { articles, tickets } = loadDataset()
  const decided = tickets.slice(0, REFIT_AFTER + 6)

  beforeAll(async () => {
    app = await startTestApp()
    desk = await createTenant(app, 'live-desk')
    const markdown = articles.map(({ filename, text }) => ({ filename, text }))
    expect((await app.call('POST', '/kb/import', { markdown }, { token: desk.admin })).status).toBeLessThan(
      300,
    )
    await app.rt.queues.idle(IDLE_MS)
    for (const t of decided) {
      const res = await app.call(
        'POST',
        '/tickets',
        { subject: t.subject, content: t.content },
        { token: desk.customer },
      )
      expect(res.status).toBe(201)
    }
    await app.rt.queues.idle(IDLE_MS)
    // Agents decide: the answerable ones approved as drafted, the others replaced by the staff reply or rejected.
    const drafts = await app.rt.deps.sql<{ id: number; subject: string }[]>`
      SELECT a.id, t.subject FROM ai_replies a JOIN tickets t ON t.id = a.ticket_id
      WHERE a.tenant_id = ${desk.id} AND a.status = 'pending' ORDER BY a.id`
    for (const d of drafts) {
      const t = decided.find((x) => x.subject === d.subject)!
      const who = { token: desk.agent }
      if (t.label === 'answerable') await app.call('POST', `/drafts/${d.id}/approve`, {}, who)
      else if (t.label === 'out_of_kb')
        await app.call('POST', `/drafts/${d.id}/approve`, { finalReply: t.staffReply }, who)
      else await app.call('POST', `/drafts/${d.id}/reject`, { reason: 'needs a person' }, who)
    }
    await app.rt.queues.idle(IDLE_MS)
  }, 600_000)
  afterAll(async () => {
    await app?.stop()
  })

  it('samples every decision with the label of what the agent did and refits once enough arrived', async () => {
    // Prepare: the desk asks for a looser budget than the default 10%
    const tooLoose = await app.call('PUT', '/calibration/settings', { budget: 0.9 }, { token: desk.admin })
    const set = await app.call('PUT', '/calibration/settings', { budget: 0.15 }, { token: desk.admin })
    const before = await app.call('GET', '/calibration', undefined, { token: desk.admin })

    // Act
    const jobs: ClaimedJob[] = []
    const queued = await queueDueRefits(app.rt.deps.sql, jobs)
    await publishJobs(app.rt.deps, jobs)
    await app.rt.queues.idle(IDLE_MS)
    const after = await app.call('GET', '/calibration', undefined, { token: desk.admin })
    const samples = await app.rt.deps.sql<
      { status: string; edited: boolean | null; usable: boolean | null; answerable: boolean | null }[]
    >`
      SELECT a.status, ar.edited, s.usable, s.answerable FROM calibration_samples s
      JOIN ai_replies a ON a.id = s.ai_reply_id LEFT JOIN approved_replies ar ON ar.ai_reply_id = a.id
      WHERE s.tenant_id = ${desk.id} AND s.origin = 'live'`
    const again = await queueDueRefits(app.rt.deps.sql, [])

    // Assess
    expect(tooLoose.status).toBe(400)
    expect(set.status).toBe(200)
    expect(set.body.budget).toBe(0.15)
    expect(before.body.live.newOutcomes).toBe(decided.length)
    expect(queued).toBeGreaterThanOrEqual(1)
    expect(samples).toHaveLength(decided.length)
    for (const s of samples) {
      if (s.status === 'approved') expect(s).toMatchObject({ usable: s.edited === false, answerable: true })
      if (s.status === 'rejected') expect(s).toMatchObject({ usable: false, answerable: null })
    }
    expect(samples.some((s) => s.status === 'approved' && s.usable === true && s.answerable === true)).toBe(
      true,
    )
    expect(after.body.latestFit).toMatchObject({ version: 1, source: 'live', runId: null, budget: 0.15 })
    expect(after.body.latestFit.reason).toMatch(/^(adopted|not adopted)/)
    expect(after.body.live).toMatchObject({ newOutcomes: 0, lastFitAt: expect.any(String) })
    expect(again).toBe(0)
  }, 300_000)

  it("replays an API tenant's tickets with an approved reply, the approved text as the staff reply", async () => {
    // Act
    const started = await app.call('POST', '/calibration/replay', { limit: 40 }, { token: desk.admin })
    await app.rt.queues.idle(IDLE_MS)
    const view = await app.call('GET', '/calibration', undefined, { token: desk.admin })

    // Assess
    expect(started.body.params).toMatchObject({ source: 'api', limit: 40 })
    const approved = decided.filter((t) => t.label !== 'must_escalate').length
    expect(view.body.run).toMatchObject({ status: 'done', total: Math.min(40, approved), errors: 0 })
    expect(view.body.latestFit).toMatchObject({ version: 2, source: 'replay' })
  }, 300_000)
})
