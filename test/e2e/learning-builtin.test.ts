import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

// The same loop as learning.test.ts with no model host at all: the offline built-in provider embeds and
// drafts, so learning from corrections works on a laptop without a GPU too.
describe('Function: learning from reviews with the built-in offline provider', () => {
  let app: TestApp
  let t: TenantFixture

  beforeAll(async () => {
    app = await startTestApp()
    t = await createTenant(app, 'learning-builtin')
    const article = await app.call(
      'POST',
      '/kb/articles',
      {
        title: 'Backups on shared hosting',
        content:
          'We back up every shared hosting account once a day and keep the copies for 7 days. ' +
          'You can restore files yourself from the backup tool in cPanel.',
      },
      { token: t.admin },
    )
    expect(article.status).toBe(201)
    // The built-in embedder is lexical: a question-and-answer chunk scores ~0.55 against a close question,
    // and the seed's default weights rank corrections lowest (0.15), which puts them under the 0.5
    // threshold. A tenant that wants its corrections to win says so with its reranking weights.
    const weights = await app.call(
      'PUT',
      '/settings/reranking',
      {
        isEnabled: true,
        modelName: 'cross-encoder/ms-marco-MiniLM-L-6-v2',
        weights: { global_kb: 0.1, tenant_kb: 0.2, approved_example: 0.3, correction: 0.4 },
        topKInitial: 20,
        topKRerank: 5,
        scoreThreshold: 0.5,
      },
      { token: t.admin },
    )
    expect(weights.status).toBe(200)
    await app.rt.queues.idle()
  })
  afterAll(async () => app?.stop())

  const ticket = async (subject: string, content: string) => {
    const res = await app.call('POST', '/tickets', { subject, content }, { token: t.customer })
    expect(res.status).toBe(201)
    await app.rt.queues.idle()
    const drafts = await app.call('GET', `/tickets/${res.body.id}/drafts`, undefined, { token: t.agent })
    return drafts.body.items[0]
  }

  it('retrieves the correction for the next similar ticket', async () => {
    // Prepare
    const draft = await ticket(
      'How long do you keep backups?',
      'How many days do you keep backups of my hosting account?',
    )
    expect(draft.provider).toBe('builtin')
    // Act
    const approval = await app.call(
      'POST',
      `/drafts/${draft.id}/approve`,
      {
        finalReply:
          'Backups are now kept for 30 days, not 7. Older restore points can be requested from the support ' +
          'team free of charge.',
      },
      { token: t.agent },
    )
    await app.rt.queues.idle()
    const next = await ticket(
      'Backup retention',
      'For how many days do you keep backups of my hosting account?',
    )
    // Assess
    expect(approval.status).toBe(201)
    expect(approval.body.isCorrection).toBe(true)
    expect(approval.body.editSummary).toMatch(/^(Added|Removed|Reworded)/)
    expect(next.sources).toContainEqual(
      expect.objectContaining({ sourceKind: 'correction', approvedReplyId: approval.body.id }),
    )
  })
})
