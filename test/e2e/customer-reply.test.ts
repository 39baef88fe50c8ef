/**
 * Citation markers never reach customers (issue 26, item 4), end to end: an approved draft posted to WHMCS
 * (`sendToWhmcs`, the real `send` worker against the fake WHMCS) and the text the WHMCS panel's Insert draft
 * uses carry no `[n]` markers, and list the cited KB articles (title, public URL) under "References:". Agents
 * still see the cited text: the draft, the approval's `finalReply` and the panel's `body` keep the markers.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signWebhookV2 } from '#shared/whmcs/signature'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'

const CREDS = { identifier: 'cite-ident-41', secret: 'cite-secret-Q9', accessKey: 'cite-access-Zz' }
const PHP = {
  title: 'Changing the PHP version',
  content: 'Open cPanel, choose Select PHP Version and pick the version your site needs.',
  publicUrl: 'https://docs.hostco.example/php-version',
}
const IONCUBE = {
  title: 'The ionCube loader',
  content: 'Enable the ioncube_loader extension under Select PHP Version, then reload the site.',
}
// As a model or an agent may write it: doubled markers, adjacent ones, spaces inside and before brackets,
// an internal source (an approved example) and a number that is no source at all.
const DRAFT =
  'Open cPanel and choose Select PHP Version [1] [1]. Enable the ioncube_loader extension [2][1] . ' +
  'Reload the page when done [ 3 ]; most sites work again at once [9].'

describe('Function: the customer-facing text of an approved reply', () => {
  let app: TestApp
  let fake: FakeWhmcs
  let t: TenantFixture
  const articles: Record<string, number> = {}

  beforeAll(async () => {
    ;[app, fake] = await Promise.all([
      startTestApp(),
      startFakeWhmcs({
        ...CREDS,
        tickets: [{ subject: 'Site down', message: 'HTTP 500 after PHP upgrade' }],
      }),
    ])
    t = await createTenant(app, 'cite')
    const configured = await app.call(
      'PATCH',
      `/tenants/${t.id}`,
      {
        whmcsUrl: fake.url,
        whmcsIdentifier: CREDS.identifier,
        whmcsSecret: CREDS.secret,
        whmcsAccessKey: CREDS.accessKey,
        whmcsAdminUsername: 'draftdesk',
      },
      { token: app.superToken },
    )
    expect(configured.status).toBe(200)
    for (const article of [PHP, IONCUBE]) {
      const res = await app.call('POST', '/kb/articles', article, { token: t.admin })
      expect(res.status).toBe(201)
      articles[article.title] = res.body.id
    }
    await app.rt.queues.idle()
  })
  afterAll(async () => {
    await app?.stop()
    await fake?.close()
  })

  /** A WHMCS ticket (id 1 in the fake) through the signed webhook, with its draft fixed to DRAFT. */
  const whmcsTicketWithDraft = async () => {
    const raw = JSON.stringify({
      event: 'TicketOpen',
      data: { ticketid: 1, ticketmask: 'CIT-1', subject: 'Site down', message: 'HTTP 500 after PHP upgrade' },
    })
    const timestamp = Math.floor(Date.now() / 1000)
    const eventId = randomUUID()
    const res = await app.call('POST', `/webhooks/whmcs/${t.slug}`, undefined, {
      raw,
      headers: {
        'x-draftdesk-event-id': eventId,
        'x-draftdesk-timestamp': String(timestamp),
        'x-draftdesk-signature': signWebhookV2(t.webhookSecret, timestamp, eventId, raw),
      },
    })
    expect(res.status).toBe(200)
    await app.rt.queues.idle()
    const sources = [
      { ref: 1, articleId: articles[PHP.title], title: PHP.title, sourceKind: 'tenant_kb', cited: true },
      {
        ref: 2,
        articleId: articles[IONCUBE.title],
        title: IONCUBE.title,
        sourceKind: 'tenant_kb',
        cited: true,
      },
      { ref: 3, articleId: null, approvedReplyId: 1, title: 'Earlier reply', sourceKind: 'approved_example' },
    ]
    const sql = app.rt.deps.sql
    const [draft] = await sql<{ id: number }[]>`
      UPDATE ai_replies SET ai_reply = ${DRAFT}, reranked_sources = ${sql.json(sources)}
      WHERE tenant_id = ${t.id} AND status = 'pending' AND ticket_id = ${res.body.ticketId}
      RETURNING id`
    return draft!.id
  }

  it('posts the approval to WHMCS without markers, with numbered references; agents keep the citations', async () => {
    // Prepare
    const draftId = await whmcsTicketWithDraft()
    const panelBefore = await app.call('GET', '/integrations/whmcs/tickets/1/draft', undefined, {
      token: t.agent,
    })

    // Act
    const approval = await app.call(
      'POST',
      `/drafts/${draftId}/approve`,
      { sendToWhmcs: true },
      { token: t.agent },
    )
    await app.rt.queues.idle()
    const panelAfter = await app.call('GET', '/integrations/whmcs/tickets/1/draft', undefined, {
      token: t.agent,
    })

    // Assess
    const expected = [
      'Open cPanel and choose Select PHP Version. Enable the ioncube_loader extension. Reload the page when ' +
        'done; most sites work again at once.',
      '',
      'References:',
      `1. ${PHP.title} — ${PHP.publicUrl}`,
      `2. ${IONCUBE.title}`,
    ].join('\n')
    expect(approval.status).toBe(201)
    // Agents keep the citations, never a duplicate one.
    const cited = DRAFT.replace('[1] [1]', '[1]')
    expect(approval.body).toMatchObject({ finalReply: cited, edited: false, customerReply: expected })
    const posted = fake.callsOf('AddTicketReply').map((c) => c.params.message ?? '')
    expect(posted).toHaveLength(1)
    const visible = posted[0]!.replace(/[\u200B-\u200D\u2060]/g, '')
    expect(visible).toBe(expected)
    expect(visible).not.toMatch(/\[\s*\d+\s*\]/)
    // The panel: agents read the cited draft, Insert draft takes the customer-facing text.
    expect(panelBefore.body.draft).toMatchObject({ body: cited, customerBody: expected })
    expect(panelBefore.body.draft.sources[0]).toMatchObject({ title: PHP.title, url: PHP.publicUrl })
    expect(panelAfter.body.draft).toMatchObject({ status: 'approved', body: cited, customerBody: expected })
    const thread = await app.call('GET', `/tickets/${approval.body.ticketId}`, undefined, { token: t.agent })
    expect(thread.body.messages.at(-1)).toMatchObject({ role: 'agent', content: expected })
  })

  it('accepts an http(s) public URL on articles, refuses other schemes, and clears it with null', async () => {
    // Act
    const created = await app.call(
      'POST',
      '/kb/articles',
      {
        title: 'Mail quotas',
        content: 'Each mailbox holds 5 GB.',
        publicUrl: 'https://docs.hostco.example/mail',
      },
      { token: t.admin },
    )
    const badScheme = await app.call(
      'POST',
      '/kb/articles',
      { title: 'Bad link', content: 'x', publicUrl: 'javascript:alert(1)' },
      { token: t.admin },
    )
    const notUrl = await app.call(
      'PATCH',
      `/kb/articles/${created.body.id}`,
      { publicUrl: 'docs page' },
      { token: t.admin },
    )
    const cleared = await app.call(
      'PATCH',
      `/kb/articles/${created.body.id}`,
      { publicUrl: null },
      { token: t.admin },
    )
    const listed = await app.call('GET', '/kb/articles?q=Mail%20quotas', undefined, { token: t.admin })

    // Assess
    expect(created.status).toBe(201)
    expect(created.body.publicUrl).toBe('https://docs.hostco.example/mail')
    expect(badScheme.status).toBe(400)
    expect(notUrl.status).toBe(400)
    expect(cleared.status).toBe(200)
    expect(cleared.body.publicUrl).toBeNull()
    expect(listed.body.items[0]).toMatchObject({ id: created.body.id, publicUrl: null })
  })
})
