/**
 * Issue 13, item 8: regenerate and approve must not get in each other's way. A message with an approved
 * reply gets no new draft (by request or by a job already queued or already at the model), and while a
 * message has no approved reply, a draft superseded by a regeneration can still be approved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

// "refund" escalates every draft, so a stray draft after the approval would move the ticket to escalated.
const REFUND_TICKET = {
  subject: 'Refund for my hosting',
  content: 'I want a refund for the shared hosting I bought last week, please.',
}

describe('Function: regenerate vs approve', () => {
  let app: TestApp
  let fake: FakeOllama
  let t: TenantFixture

  beforeAll(async () => {
    fake = await startFakeOllama()
    app = await startTestApp({ env: { OLLAMA_HOST: fake.url } })
    t = await createTenant(app, 'regen')
    const kb = await app.call(
      'POST',
      '/kb/articles',
      { title: 'Refund policy', content: 'Shared hosting has a 30-day money-back guarantee.' },
      { token: t.admin },
    )
    expect(kb.status).toBe(201)
    await app.rt.queues.idle()
  })
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
  })

  const newTicket = async () => {
    const res = await app.call('POST', '/tickets', REFUND_TICKET, { token: t.customer })
    expect(res.status).toBe(201)
    await app.rt.queues.idle()
    const [draft] = await draftsOf(res.body.id)
    expect(draft).toMatchObject({ status: 'pending', escalated: true })
    return { ticketId: res.body.id as number, draftId: draft!.id }
  }
  const draftsOf = async (ticketId: number) => {
    const res = await app.call('GET', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })
    expect(res.status).toBe(200)
    return res.body.items as Array<{ id: number; status: string; escalated: boolean }>
  }
  const regenerate = (ticketId: number) =>
    app.call('POST', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })
  const approve = (draftId: number, finalReply?: string) =>
    app.call('POST', `/drafts/${draftId}/approve`, finalReply ? { finalReply } : {}, { token: t.agent })

  /** The message is answered once, nothing waits for review, and the ticket stayed answered. */
  const assertAnsweredOnce = async (ticketId: number, approvedDraftId: number) => {
    const drafts = await draftsOf(ticketId)
    expect(drafts.filter((d) => d.status === 'approved').map((d) => d.id)).toEqual([approvedDraftId])
    expect(drafts.filter((d) => d.status === 'pending')).toEqual([])
    const ticket = await app.call('GET', `/tickets/${ticketId}`, undefined, { token: t.agent })
    expect(ticket.body).toMatchObject({ status: 'answered' })
    expect(ticket.body.draftState).not.toBe('queued')
    const queue = await app.call('GET', '/tickets?needsReview=true', undefined, { token: t.agent })
    expect(queue.body.items.map((i: { id: number }) => i.id)).not.toContain(ticketId)
    const [approvals] = await app.rt.deps.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM approved_replies WHERE tenant_id = ${t.id} AND ticket_id = ${ticketId}`
    expect(approvals!.n).toBe(1)
  }

  it('answers regenerate with 409 once the latest message has an approved reply', async () => {
    // Prepare
    const { ticketId, draftId } = await newTicket()
    expect((await approve(draftId)).status).toBe(201)
    // Act
    const res = await regenerate(ticketId)
    await app.rt.queues.idle()
    // Assess
    expect(res.status).toBe(409)
    expect(res.body.error.details).toMatchObject({ reason: 'already_approved' })
    await assertAnsweredOnce(ticketId, draftId)
  })

  it('drops a regeneration queued before the approval committed', async () => {
    // Prepare: the queue is paused, so the job is certainly still waiting when the approval commits.
    const { ticketId, draftId } = await newTicket()
    await app.rt.queues.stop()
    try {
      expect((await regenerate(ticketId)).status).toBe(202)
      expect((await approve(draftId, 'Your refund is on its way.')).status).toBe(201)
    } finally {
      // Act
      app.rt.queues.start()
    }
    await app.rt.queues.idle()
    // Assess
    await assertAnsweredOnce(ticketId, draftId)
  })

  it('stores nothing when the approval commits while the regeneration waits on the model', async () => {
    // Prepare
    const { ticketId, draftId } = await newTicket()
    const chat = fake.holdNext('/api/chat')
    expect((await regenerate(ticketId)).status).toBe(202)
    await chat.arrived
    // Act
    const approval = await approve(draftId, 'Refund approved by billing.')
    chat.release()
    await app.rt.queues.idle()
    // Assess
    expect(approval.status).toBe(201)
    await assertAnsweredOnce(ticketId, draftId)
  })

  it('approves the draft on screen with its edited text after a colleague regenerated', async () => {
    // Prepare
    const { ticketId, draftId } = await newTicket()
    expect((await regenerate(ticketId)).status).toBe(202)
    await app.rt.queues.idle()
    const [newer, older] = await draftsOf(ticketId)
    expect(older).toMatchObject({ id: draftId, status: 'superseded' })
    expect(newer).toMatchObject({ status: 'pending' })
    // Act
    const res = await approve(draftId, 'My own edited answer about the refund.')
    // Assess
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      aiReplyId: draftId,
      finalReply: 'My own edited answer about the refund.',
    })
    await assertAnsweredOnce(ticketId, draftId)
    expect((await draftsOf(ticketId)).find((d) => d.id === newer!.id)).toMatchObject({ status: 'superseded' })
    expect((await approve(newer!.id)).status).toBe(409)
  })

  it('keeps one answer when regenerate and approve race over HTTP', async () => {
    // Prepare
    const { ticketId, draftId } = await newTicket()
    // Act
    const [regen, approval] = await Promise.all([regenerate(ticketId), approve(draftId, 'Racing reply.')])
    await app.rt.queues.idle()
    // Assess
    expect([202, 409]).toContain(regen.status)
    expect(approval.status).toBe(201)
    await assertAnsweredOnce(ticketId, draftId)
  })

  it('still refuses a draft that a staff member answered by hand', async () => {
    // Prepare
    const { ticketId, draftId } = await newTicket()
    const manual = await app.call(
      'POST',
      `/tickets/${ticketId}/messages`,
      { content: 'Answered by hand.' },
      { token: t.agent },
    )
    expect(manual.status).toBe(201)
    // Act
    const res = await approve(draftId)
    // Assess
    expect(res.status).toBe(409)
    expect(res.body.error.message).toBe('draft superseded by a manual reply')
  })
})
