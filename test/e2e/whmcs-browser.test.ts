/**
 * The WHMCS admin panel in a real browser with real PHP (issue 10): PHP's built-in server serves a small
 * WHMCS-like ticket page (integrations/whmcs/test/admin-page.php) that loads the real draftdesk.php, headless
 * Chromium (Debian's `chromium`, driven by playwright-core) clicks through it, and the hook talks to a
 * running Draftdesk: the panel reads drafts with its API key, the reply form fires TicketAdminReply, which
 * the hook signs and delivers as a webhook. Outcomes are asserted through Draftdesk's API.
 *
 * Needs `php` and `chromium` (CI installs both from Debian). Without them the file skips with a note, except
 * under CI=true, where it fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { similarityRatio } from '#shared/review/similarity'
import { signWebhook } from '#shared/whmcs/signature'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'
import { CHROMIUM, launchChromium } from '../helpers/chromium.ts'

const ADMIN_PAGE = resolve(import.meta.dirname, '../../integrations/whmcs/test/admin-page.php')
const missing = [
  ...(spawnSync('php', ['-v'], { stdio: 'ignore' }).status === 0 ? [] : ['php (apt-get install php-cli)']),
  ...(existsSync(CHROMIUM) ? [] : [`chromium at ${CHROMIUM} (apt-get install chromium)`]),
]
const ci = process.env.CI === 'true'
if (missing.length > 0 && !ci) {
  console.warn(`\n⚠ The WHMCS browser test does not run here: missing ${missing.join(', ')}.\n`)
}

const DRAFT =
  'Your site returns HTTP 500 because the new PHP version disabled the ionCube loader. Open cPanel, go to ' +
  'Select PHP Version and enable the ioncube_loader extension.\n\nThe site works again within a minute.'

// The callbacks below run in the page; these types stand in for the DOM lib, which the Node side lacks.
type PageGlobals = {
  document: { getElementById(id: string): { textContent: string | null } | null }
  loadedOnce?: boolean
}
const statusIs = (text: string) =>
  (globalThis as unknown as PageGlobals).document.getElementById('draftdesk-status')?.textContent === text

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const { port } = server.address() as { port: number }
  await new Promise((ok) => server.close(ok))
  return port
}

describe.skipIf(missing.length > 0 && !ci)('Function: the WHMCS admin panel in a browser', () => {
  let app: TestApp
  let t: TenantFixture
  let php: ChildProcess
  let browser: Browser
  let pageUrl: string
  let phpLog = ''
  let apiKey = ''
  const sql = () => app.rt.deps.sql
  // A browser, PHP and the drafting workers share two cores with the rest of the suite: generous bounds.

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`CI=true but ${missing.join(', ')} is missing`)
    app = await startTestApp()
    t = await createTenant(app, 'whmcs-browser')
    const key = await app.call(
      'POST',
      '/api-keys',
      { name: 'WHMCS panel', role: 'support_agent' },
      { token: t.admin },
    )
    expect(key.status).toBe(201)
    apiKey = key.body.key
    const port = await freePort()
    php = spawn('php', ['-S', `127.0.0.1:${port}`, ADMIN_PAGE], {
      env: {
        ...process.env,
        DRAFTDESK_URL: app.url,
        DRAFTDESK_TENANT: t.slug,
        DRAFTDESK_WEBHOOK_SECRET: t.webhookSecret,
        DRAFTDESK_API_KEY: apiKey,
        DRAFTDESK_PANEL_TIMEOUT: '5',
        DRAFTDESK_PANEL_POLL_SECONDS: '0.25',
        DRAFTDESK_PANEL_POLL_MAX: '240',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    php.stdout?.on('data', (d) => (phpLog += d))
    php.stderr?.on('data', (d) => (phpLog += d))
    pageUrl = `http://127.0.0.1:${port}/supporttickets.php?action=view`
    // Wait until the PHP server answers (it prints nothing reliable to wait on).
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => null)
      if (res) break
      if (attempt > 200 || php.exitCode !== null) throw new Error(`php -S did not start:\n${phpLog}`)
      await new Promise((ok) => setTimeout(ok, 50))
    }
    browser = await launchChromium()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    php?.kill()
    await app?.stop()
  })

  /** A ticket that reached Draftdesk through the hook earlier, with its draft written (and fixed to DRAFT). */
  const ticketWithDraft = async (whmcsTicketId: number, message: string) => {
    const raw = JSON.stringify({
      event: 'TicketOpen',
      data: { ticketid: whmcsTicketId, ticketmask: `BRW-${whmcsTicketId}`, subject: message, message },
    })
    const timestamp = Math.floor(Date.now() / 1000)
    const res = await app.call('POST', `/webhooks/whmcs/${t.slug}`, undefined, {
      raw,
      headers: {
        'x-draftdesk-event-id': randomUUID(),
        'x-draftdesk-timestamp': String(timestamp),
        'x-draftdesk-signature': signWebhook(t.webhookSecret, timestamp, raw),
      },
    })
    expect(res.status).toBe(200)
    await app.rt.queues.idle()
    const [row] = await sql()<{ ticketId: number; draftId: number }[]>`
      SELECT t.id AS ticket_id, d.id AS draft_id FROM tickets t
      JOIN ai_replies d ON d.ticket_id = t.id AND d.status = 'pending'
      WHERE t.tenant_id = ${t.id} AND t.whmcs_ticket_id = ${whmcsTicketId}`
    await sql()`UPDATE ai_replies SET ai_reply = ${DRAFT} WHERE id = ${row!.draftId}`
    return row!
  }
  const drafts = async (ticketId: number) =>
    (await app.call('GET', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })).body.items
  const open = async (whmcsTicketId: number, replyid?: number): Promise<Page> => {
    const page = await browser.newPage()
    await page.goto(`${pageUrl}&id=${whmcsTicketId}${replyid ? `&replyid=${replyid}` : ''}`)
    await page.waitForSelector('#draftdesk-panel')
    return page
  }

  it('Insert draft, edit, send: the hook delivers TicketAdminReply and Draftdesk records "sent edited"', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const { ticketId, draftId } = await ticketWithDraft(4201, 'HTTP 500 after the PHP upgrade')
    const page = await open(4201, 880001)
    const edited = DRAFT.replace('within a minute', 'after you clear the browser cache')
    // Act
    await page.click('#draftdesk-insert')
    const inserted = await page.inputValue('#replymessage')
    await page.focus('#replymessage')
    await page.keyboard.press('Control+Home')
    await page.keyboard.type('Hi Anna,\n\n')
    await page.keyboard.press('Control+End')
    await page.keyboard.type('\n\nBest regards,\nJane Doe')
    await page.$eval(
      '#replymessage',
      (box, [from, to]) => {
        const area = box as unknown as { value: string }
        area.value = area.value.replace(from!, to!)
      },
      ['within a minute', 'after you clear the browser cache'],
    )
    await Promise.all([page.waitForSelector('#reply-sent'), page.click('#btnPostReply')])
    const delivered = await page.getAttribute('#reply-sent', 'data-delivered')
    await app.rt.queues.idle()
    // Assess
    expect(inserted).toBe(DRAFT)
    expect(delivered, phpLog).toBe('1')
    const [draft] = (await drafts(ticketId)).filter((d: { id: number }) => d.id === draftId)
    expect(draft).toMatchObject({ status: 'sent_edited', reviewChannel: 'whmcs' })
    const audit = await app.call('GET', '/audit?action=reply_approved', undefined, { token: t.admin })
    const entry = audit.body.items.find((a: { aiReplyId: number }) => a.aiReplyId === draftId)
    expect(entry.details).toMatchObject({ outcome: 'sent_edited', channel: 'whmcs', whmcsAdmin: 'Jane Doe' })
    expect(entry.details.similarity).toBeCloseTo(similarityRatio(DRAFT, edited), 6)
    const analytics = await app.call('GET', '/analytics/summary', undefined, { token: t.admin })
    expect(analytics.body.overall.byChannel.whmcs).toMatchObject({ shown: 1, decided: 1, usedEdited: 1 })
    await page.close()
  })

  it('Insert draft puts the customer-facing text in the reply box; sent unchanged, it counts as sent as drafted', {
    timeout: 120_000,
  }, async () => {
    // Prepare: the draft cites a KB article with a public page; the panel shows the citations to the agent.
    const article = await app.call(
      'POST',
      '/kb/articles',
      {
        title: 'The ionCube loader',
        content: 'Enable ioncube_loader under Select PHP Version.',
        publicUrl: 'https://docs.hostco.example/ioncube',
      },
      { token: t.admin },
    )
    expect(article.status).toBe(201)
    const { ticketId, draftId } = await ticketWithDraft(4204, 'HTTP 500 and an ionCube error')
    const cited = DRAFT.replace('ioncube_loader extension.', 'ioncube_loader extension [1] [1].')
    const sources = [
      { ref: 1, articleId: article.body.id, title: 'The ionCube loader', sourceKind: 'tenant_kb' },
    ]
    await sql()`UPDATE ai_replies SET ai_reply = ${cited}, reranked_sources = ${sql().json(sources)} WHERE id = ${draftId}`
    const page = await open(4204, 880004)
    const shown = await page.textContent('.draftdesk-draft')
    // Act
    await page.click('#draftdesk-insert')
    const inserted = await page.inputValue('#replymessage')
    await Promise.all([page.waitForSelector('#reply-sent'), page.click('#btnPostReply')])
    await app.rt.queues.idle()
    // Assess
    expect(shown).toContain('ioncube_loader extension [1].')
    expect(inserted).toBe(
      `${DRAFT}\n\nReferences:\n1. The ionCube loader — https://docs.hostco.example/ioncube`,
    )
    const [draft] = (await drafts(ticketId)).filter((d: { id: number }) => d.id === draftId)
    expect(draft).toMatchObject({ status: 'sent_as_drafted', reviewChannel: 'whmcs' })
    await page.close()
  })

  it('Regenerate shows the new draft without a reload; Not helpful records a rejection with the reason', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const { ticketId, draftId } = await ticketWithDraft(4202, 'My mails bounce since Monday')
    const page = await open(4202)
    await page.evaluate(() => {
      ;(globalThis as unknown as PageGlobals).loadedOnce = true
    })
    // Act: Regenerate, then wait for the panel to show a different draft.
    await page.click('#draftdesk-regenerate')
    await page.waitForFunction(statusIs, 'New draft ready.', { timeout: 90_000 })
    const newId = await page.getAttribute('.draftdesk-actions', 'data-draft-id')
    const sameDocument = await page.evaluate(() => (globalThis as unknown as PageGlobals).loadedOnce === true)
    await page.click('#draftdesk-not-helpful')
    await page.fill('#draftdesk-reason', 'Wrong mail server name')
    await page.click('#draftdesk-not-helpful-form button[type="submit"]')
    await page.waitForFunction(statusIs, 'Thanks, recorded as not helpful.')
    // Assess
    expect(sameDocument).toBe(true)
    expect(Number(newId)).toBeGreaterThan(draftId)
    const items = await drafts(ticketId)
    expect(items[0]).toMatchObject({
      id: Number(newId),
      trigger: 'regenerate',
      status: 'rejected',
      rejectReason: 'Wrong mail server name',
      reviewChannel: 'whmcs',
    })
    expect(items.find((d: { id: number }) => d.id === draftId).status).toBe('superseded')
    const analytics = await app.call('GET', '/analytics/summary', undefined, { token: t.admin })
    expect(analytics.body.overall.rejectionReasons).toContainEqual({
      reason: 'wrong mail server name',
      count: 1,
    })
    expect(analytics.body.overall.byChannel.whmcs.rejected).toBe(1)
    await page.close()
  })

  it('shows confidence components and escalation reasons in words, and never exposes the API key', {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const { ticketId } = await ticketWithDraft(4203, 'I want a refund for my hosting plan')
    await sql()`
      UPDATE ai_replies SET escalated = true,
        escalation_reasons = ${sql().json([{ code: 'keyword', category: 'refund', detail: 'Mentions a refund ("refund")' }])}
      WHERE ticket_id = ${ticketId}`
    // Act
    const page = await open(4203)
    const text = await page.textContent('#draftdesk-panel')
    const html = await page.content()
    // Assess
    expect(text).toMatch(/Confidence: \d+ \/ 100/)
    expect(await page.locator('.draftdesk-confidence li').count()).toBeGreaterThan(0)
    expect(text).toContain('Mentions a refund ("refund")')
    expect(apiKey.length).toBeGreaterThan(10)
    expect(html).not.toContain(apiKey)
    await page.close()
  })
})
