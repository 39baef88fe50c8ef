/**
 * Pathological HTML from one tenant must not stall the others (issue 26): 200 KB of markup in a KB article
 * (embedded by the worker) and in a WHMCS staff reply (compared with the pending draft inside the webhook
 * request). The runtime, its workers and this test share one event loop, so a converter that blocks it
 * also holds the other tenant's `GET /me` that is in flight: the regex converters held it for tens of
 * seconds. The calls run back to back for the whole of the slow work, so one of them always spans
 * whatever the work blocks; each must answer within the bound of 1 s: an idle machine answers in
 * milliseconds, a loaded one in about 200 ms, and the old stalls were 10 to 19 s.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signWebhookV2 } from '#shared/whmcs/signature'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const STALL_MS = 1_000
/** 200 KB of "<a" (what fits in an article next to a paragraph), as a support agent may paste it. */
const PATHOLOGICAL = '<a'.repeat(99_980)

let app: TestApp
let acme: TenantFixture
let globex: TenantFixture
const sql = () => app.rt.deps.sql

beforeAll(async () => {
  app = await startTestApp()
  ;[acme, globex] = await Promise.all([createTenant(app, 'acme'), createTenant(app, 'globex')])
}, 120_000)
afterAll(async () => app?.stop())

/**
 * Runs `work` while a globex agent calls `GET /me` over and over, each call started as the previous one
 * answers, and returns the calls' statuses and durations and what `work` returned.
 */
async function whileGlobexCallsMe<T>(work: () => Promise<T>) {
  let done = false
  const calls: Array<{ status: number; ms: number }> = []
  const loop = (async () => {
    do {
      const start = performance.now()
      const res = await app.call('GET', '/me', undefined, { token: globex.agent })
      calls.push({ status: res.status, ms: performance.now() - start })
    } while (!done)
  })()
  try {
    return { result: await work(), calls }
  } finally {
    done = true
    await loop
  }
}

const postWebhook = async (body: unknown) => {
  const raw = JSON.stringify(body)
  const timestamp = Math.floor(Date.now() / 1000)
  const eventId = randomUUID()
  return app.call('POST', `/webhooks/whmcs/${acme.slug}`, undefined, {
    raw,
    headers: {
      'x-draftdesk-event-id': eventId,
      'x-draftdesk-timestamp': String(timestamp),
      'x-draftdesk-signature': signWebhookV2(acme.webhookSecret, timestamp, eventId, raw),
    },
  })
}

describe('Function: pathological HTML and the other tenants', () => {
  it("another tenant's GET /me answers while an article of 200 KB of markup is embedded", {
    timeout: 300_000,
  }, async () => {
    // Act
    const { result: articleId, calls } = await whileGlobexCallsMe(async () => {
      const res = await app.call(
        'POST',
        '/kb/articles',
        { title: 'Pasted page', content: `<p>Open the client area.</p>${PATHOLOGICAL}` },
        { token: acme.agent },
      )
      expect(res.status).toBe(201)
      await app.rt.queues.idle(240_000)
      return res.body.id as number
    })
    // Assess
    expect(calls.length).toBeGreaterThan(0)
    expect(calls.filter((c) => c.status !== 200 || c.ms >= STALL_MS)).toEqual([])
    const chunks = await sql()<{ chunk: string }[]>`
        SELECT chunk FROM kb_chunks WHERE article_id = ${articleId} AND is_current`
    expect(chunks.map((c) => c.chunk)).toEqual(['Pasted page\n\nOpen the client area.'])
  })

  it("another tenant's GET /me answers while a staff reply of 200 KB of markup is compared with the pending draft", {
    timeout: 300_000,
  }, async () => {
    // Prepare: a WHMCS ticket of acme whose customer message has a pending draft.
    const opened = await postWebhook({
      event: 'TicketOpen',
      data: { ticketid: 8801, ticketmask: 'HTML-8801', subject: 'Site down', message: 'My site is down.' },
    })
    expect(opened.status).toBe(200)
    await app.rt.queues.idle(60_000)
    const [draft] = await sql()<{ id: number; ticketId: number }[]>`
        SELECT d.id, d.ticket_id FROM ai_replies d JOIN tickets t ON t.id = d.ticket_id
        WHERE t.tenant_id = ${acme.id} AND t.whmcs_ticket_id = 8801 AND d.status = 'pending'`
    expect(draft).toBeDefined()
    const message = `<p>Hi Anna,</p><p>I restarted your web server, the site is up again.</p>${PATHOLOGICAL}`
    // Act
    const { result: answer, calls } = await whileGlobexCallsMe(() =>
      postWebhook({
        event: 'TicketAdminReply',
        data: { ticketid: 8801, replyid: 88011, admin: 'Jane', message, status: 'Answered' },
      }),
    )
    // Assess
    expect(calls.length).toBeGreaterThan(0)
    expect(calls.filter((c) => c.status !== 200 || c.ms >= STALL_MS)).toEqual([])
    expect(answer.status).toBe(200)
    expect(answer.body.review).toMatchObject({ draftId: draft!.id, outcome: 'replaced' })
    const [approval] = await sql()<{ finalReply: string }[]>`
        SELECT final_reply FROM approved_replies WHERE ticket_id = ${draft!.ticketId}`
    expect(approval!.finalReply).toBe('Hi Anna,\nI restarted your web server, the site is up again.')
  })
})
