import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  defaultReply,
  type FakeChatRequest,
  type FakeOllama,
  startFakeOllama,
} from '../fakes/ollama-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const ARTICLE = {
  title: 'Outgoing email limits on shared hosting',
  content:
    'Shared hosting accounts can send up to 500 outgoing emails per hour. Messages over the hourly limit ' +
    'are deferred and retried later. Contact support if you need a higher sending limit.',
}
const FIRST = {
  subject: 'How many emails can I send per hour?',
  content:
    'What is the hourly limit for outgoing emails on my shared hosting account? My newsletter gets deferred.',
}
// The agent knows the limit changed: a rewrite, not a touch-up, so it becomes a correction.
const CORRECTED =
  'Since March the limit on shared plans is 250 outgoing emails per hour per account. For newsletters ' +
  'please use the SMTP relay add-on, which has no hourly cap.'
const SECOND = {
  subject: 'Hourly limit for outgoing emails',
  content: 'My newsletter emails get deferred. What is the hourly outgoing email limit on shared hosting?',
}
const SUMMARY = 'Lowered the hourly limit to 250 and pointed newsletters to the SMTP relay add-on.'

/** A model that answers from the correction when the prompt offers one, and summarises edits when asked. */
function model(request: FakeChatRequest): string {
  const system = request.messages.find((m) => m.role === 'system')?.content ?? ''
  if (system.includes('compare an AI-drafted support reply')) return SUMMARY
  const prompt = request.messages.map((m) => m.content).join('\n')
  const ref = /\[(\d+)\] \(correction\)/.exec(prompt)?.[1]
  if (ref) return `Thank you for your patience. The limit is now 250 outgoing emails per hour [${ref}].`
  return defaultReply(request)
}

describe('Function: learning from reviews, end to end over HTTP', () => {
  let app: TestApp
  let fake: FakeOllama
  let t: TenantFixture

  const draftsOf = async (ticketId: number) => {
    const res = await app.call('GET', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })
    expect(res.status).toBe(200)
    return res.body.items as any[]
  }
  const chatPrompts = () =>
    fake.calls
      .filter((c) => c.path === '/api/chat')
      .map((c) => (c.body as FakeChatRequest).messages.map((m) => m.content).join('\n'))

  beforeAll(async () => {
    fake = await startFakeOllama({ replyWith: model })
    app = await startTestApp({ env: { OLLAMA_HOST: fake.url } })
    t = await createTenant(app, 'learning')
    const article = await app.call('POST', '/kb/articles', ARTICLE, { token: t.admin })
    expect(article.status).toBe(201)
    await app.rt.queues.idle()
  })
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
  })

  it('turns a heavily edited approval into a correction that the next similar ticket’s draft cites', async () => {
    // Prepare: a ticket, its draft, and an agent who rewrites it.
    const first = await app.call('POST', '/tickets', FIRST, { token: t.customer })
    expect(first.status).toBe(201)
    await app.rt.queues.idle()
    const [draft] = await draftsOf(first.body.id)
    expect(draft).toMatchObject({ status: 'pending' })
    expect(draft.sources.map((s: any) => s.sourceKind)).not.toContain('correction')

    // Act 1: the edited approval, then let the embed worker learn from it.
    const approval = await app.call(
      'POST',
      `/drafts/${draft.id}/approve`,
      { finalReply: CORRECTED },
      { token: t.agent },
    )
    expect(approval.status).toBe(201)
    await app.rt.queues.idle()

    // Assess 1: stored as a correction, with the model's edit summary, indexed and marked as training data.
    expect(approval.body).toMatchObject({ edited: true, isCorrection: true, learningKind: 'correction' })
    expect(approval.body.editDistance).toBeLessThan(0.7)
    expect(approval.body.editSummary).toBe(SUMMARY)
    const sql = app.rt.deps.sql
    const [stored] = await sql`SELECT used_for_training FROM approved_replies WHERE id = ${approval.body.id}`
    expect(stored!.usedForTraining).toBe(true)
    const chunks = await sql`
      SELECT source_kind, chunk FROM kb_chunks
      WHERE tenant_id = ${t.id} AND approved_reply_id = ${approval.body.id} AND is_current`
    expect(chunks).toHaveLength(1)
    expect(chunks[0]).toMatchObject({ sourceKind: 'correction' })
    expect(chunks[0]!.chunk).toContain(CORRECTED)
    const thread = await app.call('GET', `/tickets/${first.body.id}`, undefined, { token: t.customer })
    expect(thread.body.status).toBe('answered')
    expect(thread.body.messages.at(-1)).toMatchObject({ role: 'agent', content: CORRECTED })

    // Act 2: a new, similar ticket.
    const second = await app.call('POST', '/tickets', SECOND, { token: t.customer })
    expect(second.status).toBe(201)
    await app.rt.queues.idle()

    // Assess 2: the correction is among the draft's sources, shown to the model as a correction, and cited.
    const [next] = await draftsOf(second.body.id)
    const correction = next.sources.find((s: any) => s.sourceKind === 'correction')
    expect(correction).toMatchObject({ approvedReplyId: approval.body.id, cited: true })
    expect(next.reply).toContain('250 outgoing emails per hour')
    const prompt = chatPrompts().at(-1)!
    expect(prompt).toContain('Previous answer was corrected to:')
    expect(prompt).toContain(CORRECTED)
  })
})
