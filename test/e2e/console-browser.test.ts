/**
 * The desk console in a real browser (issue 29): headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against the local runtime serving the real build under /app/. Each test acts as a person
 * would, through roles and labels, and checks the outcome through the page and the API. The run takes a
 * screenshot of each page; with UPDATE_SCREENSHOTS=1 it saves them into docs/screenshots/ (shown in
 * docs/console.md), otherwise into a temporary directory, so an ordinary test run leaves the tree clean.
 *
 * Needs `chromium`; without it the file skips with a note, except under CI=true, where it fails.
 */
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jwtSettings } from '#shared/auth/authenticate'
import { issueToken } from '#shared/auth/jwt'
import { ensureConsoleBuilt } from '../../local/console-build.ts'
import { BOOTSTRAP, createTenant, startTestApp, type TenantFixture, type TestApp } from '../helpers/app.ts'
import { CHROMIUM, launchChromium } from '../helpers/chromium.ts'

const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? resolve(import.meta.dirname, '../../docs/screenshots')
    : mkdtempSync(join(tmpdir(), 'draftdesk-screenshots-'))
const missing = existsSync(CHROMIUM) ? [] : [`chromium at ${CHROMIUM} (apt-get install chromium)`]
const ci = process.env.CI === 'true'
if (missing.length > 0 && !ci)
  console.warn(`\n⚠ The console browser test does not run here: missing ${missing.join(', ')}.\n`)

const PASSWORD = 'password-123'
// Chromium, the runtime and its drafting workers share two cores with the rest of the suite: generous bounds.
const SLOW = { timeout: 60_000 }
const TEST_TIMEOUT = 180_000

describe.skipIf(missing.length > 0 && !ci)(
  'Function: the desk console in a browser',
  { timeout: TEST_TIMEOUT },
  () => {
    let app: TestApp
    let t: TenantFixture
    let browser: Browser

    beforeAll(async () => {
      if (missing.length > 0) throw new Error(`CI=true but ${missing.join(', ')} is missing`)
      // What `npm test` needs is built here: the real console, as `npm start` serves it.
      await ensureConsoleBuilt()
      app = await startTestApp()
      t = await createTenant(app, 'console')
      const article = await app.call(
        'POST',
        '/kb/articles',
        {
          title: 'Reset a mailbox password',
          category: 'faq',
          content:
            'To reset the password of a mailbox, open cPanel and choose Email Accounts. Click Manage next to the ' +
            'mailbox, enter a new password and save. Webmail then accepts the new password at once.',
        },
        { token: t.agent },
      )
      expect(article.status).toBe(201)
      await app.rt.queues.idle(60_000)
      browser = await launchChromium()
    }, 300_000)
    afterAll(async () => {
      await browser?.close()
      await app?.stop()
    })

    const open = async (path = '/app/'): Promise<Page> => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
      const page = await context.newPage()
      page.setDefaultTimeout(SLOW.timeout)
      await page.goto(`${app.url}${path}`)
      return page
    }
    const signIn = async (page: Page, email: string, tenant = t.slug, password = PASSWORD) => {
      await page.getByLabel('Tenant').fill(tenant)
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill(password)
      await page.getByRole('button', { name: 'Sign in' }).click()
    }
    const signedIn = async (email: string, path = '/app/') => {
      const page = await open(path)
      await signIn(page, email)
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      return page
    }
    const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
    const ticket = async (subject: string, content: string) => {
      const res = await app.call('POST', '/tickets', { subject, content }, { token: t.agent })
      expect(res.status).toBe(201)
      await app.rt.queues.idle(60_000)
      return res.body.id as number
    }
    /** Drafts used after an edit in the API channel (the console's), as the analytics summary counts them. */
    const usedEditedInApi = async (): Promise<number> => {
      const summary = await app.call('GET', '/analytics/summary', undefined, { token: t.admin })
      expect(summary.status).toBe(200)
      return summary.body.overall.byChannel.api.usedEdited as number
    }
    const drafts = async (ticketId: number) =>
      (await app.call('GET', `/tickets/${ticketId}/drafts`, undefined, { token: t.agent })).body.items

    it('refuses a customer at sign-in', async () => {
      const page = await open()
      await page.getByRole('heading', { name: 'Sign in to Draftdesk' }).waitFor()
      await shot(page, 'sign-in')
      await signIn(page, `user@${t.slug}.test`)
      await page.getByRole('alert').filter({ hasText: 'This console is for support staff' }).waitFor()
      expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0)
      expect(
        await page.evaluate(() => (globalThis as any).localStorage.getItem('draftdesk.session')),
      ).toBeNull()
      await page.context().close()
    })

    it('shows an agent the queue and no Settings; the settings address says it is not for the role', async () => {
      const page = await signedIn(`support_agent@${t.slug}.test`)
      const nav = page.getByRole('navigation', { name: 'Main' })
      await nav.getByRole('link', { name: 'Review queue' }).waitFor()
      expect(await nav.getByRole('link', { name: 'Settings' }).count()).toBe(0)
      await page.goto(`${app.url}/app/settings`)
      await page.getByRole('heading', { name: 'Not available to your role' }).waitFor()
      await page.context().close()
    })

    it('lists escalated tickets first, approves an edited draft from the queue and counts it in analytics', async () => {
      // Prepare: an ordinary question first, then one that escalates (refund keyword).
      const plain = await ticket('Cannot log in to webmail', 'How do I reset the password of my mailbox?')
      const refund = await ticket('Refund please', 'I want a refund for last month, the server was down.')
      // The KB is empty, so every draft escalates for low retrieval; the plain one is made an ordinary draft.
      await app.rt.deps.sql`
      UPDATE ai_replies SET escalated = false, escalation_reasons = '[]' WHERE ticket_id = ${plain}`
      const editedBefore = await usedEditedInApi()
      const page = await signedIn(`admin@${t.slug}.test`)
      const rows = page.getByRole('table', { name: 'Tickets waiting for review' }).getByRole('row')
      await rows.nth(2).waitFor()
      expect(await rows.nth(1).textContent()).toContain(`#${refund}`)
      expect(await rows.nth(1).textContent()).toContain('Escalated')
      expect(await rows.nth(2).textContent()).toContain(`#${plain}`)
      await shot(page, 'review-queue')
      // Act: j selects the second row, Enter opens it; Edit, change the text, Approve.
      await page.keyboard.press('j')
      await page.keyboard.press('Enter')
      await page.getByRole('heading', { name: `#${plain} Cannot log in to webmail` }).waitFor()
      await page
        .getByRole('list', { name: 'Sources' })
        .or(page.getByText('No knowledge source'))
        .first()
        .waitFor()
      await shot(page, 'ticket')
      await page.getByRole('button', { name: 'Edit' }).click()
      const editor = page.getByLabel('Reply to approve')
      await editor.fill('Hello! Open Webmail, choose "Forgot password" and follow the e-mail we send you.')
      await page.getByRole('button', { name: 'Approve' }).click()
      await page.getByRole('status').filter({ hasText: 'Approved' }).waitFor()
      // Assess
      const [decided] = await drafts(plain)
      expect(decided.status).toBe('approved')
      const [approval] = await app.rt.deps.sql<{ finalReply: string; edited: boolean }[]>`
      SELECT final_reply, edited FROM approved_replies WHERE ai_reply_id = ${decided.id}`
      expect(approval).toEqual({
        finalReply: 'Hello! Open Webmail, choose "Forgot password" and follow the e-mail we send you.',
        edited: true,
      })
      // The analytics page counts it: drafts used edited in the API channel, one more than before.
      expect(await usedEditedInApi()).toBe(editedBefore + 1)
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics' }).click()
      const figure = page.getByRole('figure').filter({ hasText: 'How drafts were used, by channel' })
      await figure.getByRole('img', { name: 'How drafts were used, by channel' }).waitFor()
      await page.getByRole('figure').filter({ hasText: 'Drafts per day' }).waitFor()
      await page.getByRole('figure').filter({ hasText: 'Reliability' }).waitFor()
      await shot(page, 'analytics')
      await figure.getByText('Numbers').click()
      const apiRow = figure.getByRole('row').filter({ hasText: 'Console / API' })
      // Columns: label, used as is, used edited, replaced, rejected.
      expect(await apiRow.getByRole('cell').nth(1).textContent()).toBe(String(editedBefore + 1))
      await page.context().close()
    })

    it('rejects a draft with a reason from the queue with the r key', async () => {
      const id = await ticket('Backups', 'Where do I find my backups?')
      const page = await signedIn(`support_agent@${t.slug}.test`)
      const row = page.getByRole('row').filter({ hasText: `#${id} Backups` })
      await row.click()
      await page.keyboard.press('r')
      await page.getByLabel('Reason for rejecting').fill('Outdated: backups moved to JetBackup')
      await page.getByRole('button', { name: 'Reject' }).click()
      await row.waitFor({ state: 'detached' })
      const [rejected] = await drafts(id)
      expect(rejected).toMatchObject({
        status: 'rejected',
        rejectReason: 'Outdated: backups moved to JetBackup',
      })
      await page.context().close()
    })

    it('regenerates a draft and shows the new one when it is ready', async () => {
      const id = await ticket('SSL certificate', 'My SSL certificate expired, how do I renew it?')
      const before = await drafts(id)
      const page = await signedIn(`support_agent@${t.slug}.test`, `/app/tickets/${id}`)
      await page.getByRole('button', { name: 'Regenerate' }).click()
      await page.getByRole('status').filter({ hasText: 'The new draft is ready.' }).waitFor()
      const after = await drafts(id)
      expect(after).toHaveLength(before.length + 1)
      expect(after[0]).toMatchObject({ trigger: 'regenerate', status: 'pending' })
      expect(after[1].status).toBe('superseded')
      await page.getByText('made by Regenerate').waitFor()
      await page.context().close()
    })

    it('creates an article with a Markdown preview and shows it indexed', async () => {
      const page = await signedIn(`admin@${t.slug}.test`, '/app/kb')
      await page.getByRole('link', { name: 'New article' }).click()
      // The list has its own Category filter and a search field: fill only once the editor is there.
      await page.getByRole('heading', { name: 'New article' }).waitFor()
      await page.getByLabel('Title', { exact: true }).fill('Move a WordPress site to us')
      await page.getByLabel('Category').selectOption('faq')
      await page.getByLabel('Tags').fill('wordpress, migration')
      await page
        .getByLabel('Content (Markdown)')
        .fill(
          '## Steps\n\nInstall the **Duplicator** plugin, create a package, then upload the installer to public_html.',
        )
      await page.getByRole('region', { name: 'Preview' }).getByRole('heading', { name: 'Steps' }).waitFor()
      expect(await page.getByRole('region', { name: 'Preview' }).locator('strong').textContent()).toBe(
        'Duplicator',
      )
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByText('Indexed', { exact: true }).waitFor()
      await shot(page, 'kb-article')
      await page.getByRole('link', { name: '← Knowledge base' }).click()
      const row = page.getByRole('row').filter({ hasText: 'Move a WordPress site to us' })
      await row.getByText('Indexed', { exact: true }).waitFor()
      await shot(page, 'kb-list')
      const list = await app.call('GET', '/kb/articles?q=WordPress', undefined, { token: t.agent })
      expect(list.body.items).toEqual([
        expect.objectContaining({ title: 'Move a WordPress site to us', isIndexed: true }),
      ])
      await page.context().close()
    })

    it("imports two Markdown files dropped on the page, with each file's result", async () => {
      const page = await signedIn(`admin@${t.slug}.test`, '/app/kb/import')
      const files = [
        {
          name: 'email-quota.md',
          text: '---\ntitle: Raise a mailbox quota\ncategory: faq\ntags: [email]\n---\nOpen cPanel, Email Accounts, Manage, then set the quota.',
        },
        {
          name: 'ftp.md',
          text: '---\ntitle: Connect with FTP\ncategory: product\n---\nUse FileZilla with your cPanel user name on port 21.',
        },
      ]
      // A real drop: a DataTransfer holding both files, dispatched on the drop zone.
      const transfer = await page.evaluateHandle((list) => {
        const g = globalThis as any
        const dt = new g.DataTransfer()
        for (const f of list) dt.items.add(new g.File([f.text], f.name, { type: 'text/markdown' }))
        return dt
      }, files)
      await page
        .getByRole('region', { name: 'Drop files to import' })
        .dispatchEvent('drop', { dataTransfer: transfer })
      const results = page.getByRole('list', { name: 'Import results' })
      await results.getByText('email-quota.md').waitFor()
      await page.getByRole('status').filter({ hasText: '2 of 2 files: 2 created' }).waitFor()
      await results
        .getByRole('listitem')
        .filter({ hasText: 'ftp.md: created as Connect with FTP, indexed' })
        .waitFor()
      await results
        .getByRole('listitem')
        .filter({ hasText: 'email-quota.md: created as Raise a mailbox quota, indexed' })
        .waitFor()
      expect(await page.getByRole('progressbar', { name: 'Import progress' }).getAttribute('value')).toBe('2')
      await shot(page, 'kb-import')
      const list = await app.call('GET', '/kb/articles?limit=50', undefined, { token: t.agent })
      const titles = list.body.items.map((a: any) => a.title)
      expect(titles).toEqual(expect.arrayContaining(['Raise a mailbox quota', 'Connect with FTP']))
      await page.context().close()
    })

    it('shows the article a question would draft from in Try a question, storing nothing', async () => {
      const before = await app.rt.deps
        .sql`SELECT count(*)::int AS n FROM ai_replies WHERE tenant_id = ${t.id}`
      const page = await signedIn(`support_agent@${t.slug}.test`, '/app/try')
      await page
        .getByLabel('Question', { exact: true })
        .fill('How do I move my WordPress site to your hosting?')
      await page.getByRole('button', { name: 'Try it' }).click()
      const result = page.getByRole('region', { name: 'What the drafter would do' })
      await result
        .getByRole('list', { name: 'Sources' })
        .getByText('Move a WordPress site to us')
        .first()
        .waitFor()
      await result.getByText('Duplicator').first().waitFor()
      await shot(page, 'try-a-question')
      const after = await app.rt.deps.sql`SELECT count(*)::int AS n FROM ai_replies WHERE tenant_id = ${t.id}`
      expect(after).toEqual(before)
      await page.context().close()
    })

    it('filters the queue by status', async () => {
      const open = await ticket('Mail quota', 'My mailbox says it is full, what can I do?')
      const busy = await ticket('Cron job', 'My cron job does not run any more.')
      await app.rt.deps.sql`UPDATE tickets SET status = 'in_progress' WHERE id = ${busy}`
      const page = await signedIn(`support_agent@${t.slug}.test`)
      const table = page.getByRole('table', { name: 'Tickets waiting for review' })
      await table
        .getByRole('row')
        .filter({ hasText: `#${busy}` })
        .waitFor()
      await page.getByLabel('Status').selectOption('in_progress')
      await table
        .getByRole('row')
        .filter({ hasText: `#${open}` })
        .waitFor({ state: 'detached' })
      expect(
        await table
          .getByRole('row')
          .filter({ hasText: `#${busy}` })
          .count(),
      ).toBe(1)
      for (const row of await table.getByRole('row').all()) {
        const text = (await row.textContent()) ?? ''
        if (/#\d+/.test(text)) expect(text).toMatch(/in.progress/i)
      }
      await page.context().close()
    })

    it('lets an admin manage API keys, users, reranking and prompt versions, and download the hook', async () => {
      const page = await signedIn(`admin@${t.slug}.test`, '/app/settings/api-keys')
      // API key: created, shown once, listed.
      await page.getByLabel('Key name').fill('WHMCS panel')
      await page.getByRole('button', { name: 'Create key' }).click()
      await page.getByRole('status').filter({ hasText: 'shown once' }).waitFor()
      const keys = await app.call('GET', '/api-keys', undefined, { token: t.admin })
      expect(keys.body.items.map((k: { name: string }) => k.name)).toContain('WHMCS panel')
      await page
        .getByRole('table', { name: 'API keys' })
        .getByRole('cell', { name: 'WHMCS panel', exact: true })
        .waitFor()
      // Users: add an agent, then make them an admin.
      await page
        .getByRole('navigation', { name: 'Settings' })
        .getByRole('link', { name: 'Users and roles' })
        .click()
      await page.getByLabel('Email').fill(`newagent@${t.slug}.test`)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Add user' }).click()
      const roleSelect = page.getByLabel(`Role of newagent@${t.slug}.test`)
      await roleSelect.selectOption('admin')
      await expect
        .poll(async () => {
          const users = await app.call('GET', '/users', undefined, { token: t.admin })
          return users.body.items.find((u: { email: string }) => u.email === `newagent@${t.slug}.test`)?.role
        }, SLOW)
        .toBe('admin')
      await shot(page, 'settings')
      // Reranking: a weight sum that is not 1 is refused next to the field; a good one saves.
      await page.goto(`${app.url}/app/settings/reranking`)
      const tenantWeight = page.getByLabel('Weight: Your articles')
      const before = Number(await tenantWeight.inputValue())
      await tenantWeight.fill(String(before + 0.5))
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByText('must add up to 1').first().waitFor()
      await tenantWeight.fill(String(before))
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByRole('status').filter({ hasText: 'Weights saved.' }).waitFor()
      const reranking = await app.call('GET', '/settings/reranking', undefined, { token: t.admin })
      expect(reranking.body.scope).toBe('tenant')
      // Prompt versions: a copy of the one in use, activated.
      await page.goto(`${app.url}/app/settings/prompts`)
      await page.getByLabel('Version', { exact: true }).fill('v-console')
      await page.getByLabel('Name', { exact: true }).fill('Shorter replies')
      await page.getByRole('button', { name: 'Create version' }).click()
      await page.getByRole('button', { name: 'Activate v-console' }).click()
      await expect
        .poll(async () => {
          const prompts = await app.call('GET', '/prompts', undefined, { token: t.admin })
          return prompts.body.items.find((p: { inUse: boolean }) => p.inUse)?.version
        }, SLOW)
        .toBe('v-console')
      // The hook: a download of the PHP file, and the constants naming this desk.
      await page.goto(`${app.url}/app/settings/hook`)
      await page.getByText(`define('DRAFTDESK_TENANT', '${t.slug}');`).waitFor()
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download the PHP hook' }).click(),
      ])
      expect(download.suggestedFilename()).toBe('draftdesk.php')
      const { readFile } = await import('node:fs/promises')
      expect(await readFile((await download.path())!, 'utf8')).toContain('DRAFTDESK_WEBHOOK_SECRET')
      // Sync now without a connection: WHMCS's state in words, not a silent failure.
      await page.goto(`${app.url}/app/settings/whmcs`)
      await page.getByText('Only the Draftdesk operator').first().waitFor()
      await page.getByRole('button', { name: 'Sync now' }).click()
      await page.getByRole('alert').filter({ hasText: 'WHMCS is not configured' }).waitFor()
      // The audit log shows what was done.
      await page.goto(`${app.url}/app/settings/audit`)
      await page.getByRole('table', { name: 'Audit log' }).getByText('api_key_created').waitFor()
      await page.context().close()
    })

    it('lets the operator save a WHMCS connection, escalation rules and rotate the webhook secret', async () => {
      const page = await open('/app/settings/whmcs')
      await signIn(page, BOOTSTRAP.email, BOOTSTRAP.tenant, BOOTSTRAP.password)
      await page.getByLabel('WHMCS URL').fill('https://billing.example.com')
      await page.getByLabel('API identifier').fill('ident-123')
      await page.getByLabel('API secret').fill('secret-456')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByRole('status').filter({ hasText: 'Connection saved.' }).waitFor()
      // Write-only: the fields are empty again and the page only says they are saved.
      expect(await page.getByLabel('API secret').inputValue()).toBe('')
      await page.getByText('Credentials are saved (never shown).').waitFor()
      const tenants = await app.call('GET', '/tenants', undefined, { token: app.superToken })
      const root = tenants.body.items.find((x: { slug: string }) => x.slug === BOOTSTRAP.tenant)
      expect(root).toMatchObject({ whmcsUrl: 'https://billing.example.com', whmcsConfigured: true })
      // Escalation rules keep the other settings.
      await page.goto(`${app.url}/app/settings/escalation`)
      await page.getByLabel('Extra keywords').fill('refund: money back, chargeback')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByRole('status').filter({ hasText: 'Escalation rules saved' }).waitFor()
      const after = await app.call('GET', '/tenants', undefined, { token: app.superToken })
      const rules = after.body.items.find((x: { slug: string }) => x.slug === BOOTSTRAP.tenant).settings
      expect(rules.escalation.extraKeywords).toEqual({ refund: ['money back', 'chargeback'] })
      // The webhook secret: rotated, shown once, and filled into the constants.
      await page.goto(`${app.url}/app/settings/hook`)
      await page.getByRole('button', { name: 'Rotate the webhook secret…' }).click()
      await page.getByRole('button', { name: 'Rotate now' }).click()
      const shown = await page.getByRole('status').filter({ hasText: 'New webhook secret' }).locator('code')
      const secret = (await shown.textContent()) ?? ''
      expect(secret.length).toBeGreaterThanOrEqual(32)
      await page.getByText(`define('DRAFTDESK_WEBHOOK_SECRET', '${secret}');`).waitFor()
      await page.context().close()
    })

    it('shows the calibration in force, saves the budget, runs a replay with its progress, pins and rolls back', async () => {
      // Prepare: two tickets with an approved reply, the history an API desk's replay drafts again.
      for (const [subject, content] of [
        ['Webmail login', 'How do I log in to webmail?'],
        ['Mailbox password', 'How can I change the password of my mailbox?'],
      ] as const) {
        const [draft] = await drafts(await ticket(subject, content))
        const approved = await app.call(
          'POST',
          `/drafts/${draft.id}/approve`,
          { finalReply: 'Open cPanel, Email Accounts, then Manage next to the mailbox.' },
          { token: t.agent },
        )
        expect(approved.status).toBe(201)
      }
      const page = await signedIn(`admin@${t.slug}.test`)
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calibration' }).click()
      await page
        .getByRole('region', { name: 'In force' })
        .getByText(/^Built-in: /)
        .waitFor()
      // Budget: saved, and the API has it.
      await page.getByLabel('Answerable tickets the cut-offs may escalate (%)').fill('15')
      await page.getByRole('button', { name: 'Save budget' }).click()
      await page.getByRole('status').filter({ hasText: 'Budget saved.' }).waitFor()
      const saved = await app.call('GET', '/calibration', undefined, { token: t.admin })
      expect(saved.body.budget).toBe(0.15)
      // Replay: started from the page, its progress shown until it is finished.
      await page.getByLabel('Days of history').fill('30')
      await page.getByRole('button', { name: 'Start a replay' }).click()
      await page
        .getByRole('status', { name: 'Replay progress' })
        .filter({ hasText: 'Replay finished.' })
        .waitFor()
      const after = await app.call('GET', '/calibration', undefined, { token: t.admin })
      expect(after.body.run).toMatchObject({ status: 'done', params: { days: 30 } })
      expect(after.body.run.total).toBeGreaterThanOrEqual(2)
      expect(
        await page
          .getByRole('status', { name: 'Replay progress' })
          .getByRole('progressbar')
          .getAttribute('value'),
      ).toBe(String(after.body.run.done))
      await page.evaluate(() => (globalThis as any).scrollTo(0, 0))
      await shot(page, 'calibration')
      // Too few tickets to adopt the fit: it is listed, not in force; Pin puts it in force.
      const version = after.body.latestFit.version as number
      expect(after.body.latestFit.adopted).toBe(false)
      await page.getByRole('button', { name: `Pin version ${version}` }).click()
      await page
        .getByRole('region', { name: 'In force' })
        .getByText(new RegExp(`^Version ${version}: `))
        .waitFor()
      const pinned = await app.call('GET', '/calibration', undefined, { token: t.admin })
      expect(pinned.body.inForce).toMatchObject({ source: 'replay', version, pinned: true })
      // Roll back: the built-in calibration again, pinned.
      await page.getByRole('button', { name: 'Roll back to the previous calibration' }).click()
      await page
        .getByRole('region', { name: 'In force' })
        .getByText(/^Built-in: /)
        .waitFor()
      const back = await app.call('GET', '/calibration', undefined, { token: t.admin })
      expect(back.body.inForce).toMatchObject({ source: 'default', pinned: true })
      await page.context().close()
    })

    it('creates an article from the replies of a knowledge gap, opened prefilled in the editor', async () => {
      // Prepare: a gap as live drafts leave one (a topic the KB lacks, with what the agents replied).
      const [gap] = await app.rt.deps.sql<{ id: number }[]>`
        INSERT INTO knowledge_gaps (tenant_id, topic_key, terms, count, live_count, examples)
        VALUES (${t.id}, 'nameserver-change', ${app.rt.deps.sql.json(['nameserver', 'change'])}, 2, 2,
          ${app.rt.deps.sql.json([
            {
              origin: 'live',
              ticketId: null,
              ticketRef: null,
              subject: 'Change nameservers',
              reply:
                'Open Domains, choose Manage Nameservers, enter ns1.example.net and ns2.example.net, then Save.',
            },
            {
              origin: 'live',
              ticketId: null,
              ticketRef: null,
              subject: 'New nameservers',
              reply:
                'Nameserver changes take up to 24 hours to spread; you set them under Domains, Manage Nameservers.',
            },
          ])})
        RETURNING id`
      const page = await signedIn(`admin@${t.slug}.test`)
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Knowledge gaps' })
        .click()
      const item = page
        .getByRole('list', { name: 'Knowledge gaps' })
        .getByRole('listitem')
        .filter({ has: page.getByRole('button', { name: 'Create article from these replies' }) })
        .filter({ hasText: 'Change nameservers' })
      await item.getByText('Manage Nameservers, enter ns1.example.net').waitFor()
      await shot(page, 'knowledge-gaps')
      await item.getByRole('button', { name: 'Create article from these replies' }).click()
      // The editor opens with the suggested article, nothing saved yet.
      await page.getByRole('heading', { name: 'New article' }).waitFor()
      const suggestion = await app.call('POST', `/knowledge-gaps/${gap!.id}/suggestion`, undefined, {
        token: t.admin,
      })
      expect(suggestion.status).toBe(200)
      expect(await page.getByLabel('Title').inputValue()).toBe(suggestion.body.title)
      expect(await page.getByLabel('Content (Markdown)').inputValue()).toBe(suggestion.body.content)
      expect(suggestion.body.content).toContain('Manage Nameservers')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByText('Indexed', { exact: true }).waitFor()
      const list = await app.call('GET', '/kb/articles?limit=100', undefined, { token: t.admin })
      expect(list.body.items.map((a: { title: string }) => a.title)).toContain(suggestion.body.title)
      await page.context().close()
    })

    it('shows the account facts a draft used, which were cited, and why there were none', async () => {
      const withFacts = await ticket('Hosting suspended', 'Why is my hosting package suspended?')
      const without = await ticket('Domain transfer', 'How long does a domain transfer take?')
      const fact = (ref: number | null, title: string, status: string, cited: boolean, why: string) => ({
        ref,
        kind: 'service',
        whmcsId: ref ?? 99,
        title,
        status,
        text: `${title}: ${status}`,
        why,
        cited,
        fields: {},
      })
      const account = {
        state: 'read',
        detail: null,
        readAt: new Date().toISOString(),
        cached: false,
        clientId: 42,
        facts: [
          fact(1, 'Starter Hosting (example.com)', 'Suspended', true, 'only_service'),
          fact(2, 'Domain example.org', 'Active', false, 'named'),
          fact(null, 'Reseller Hosting', 'Fraud', false, 'fraud'),
        ],
      }
      const sql = app.rt.deps.sql
      await sql`UPDATE ai_replies SET account_facts = ${sql.json(account)} WHERE ticket_id = ${withFacts}`
      await sql`UPDATE ai_replies SET account_facts = ${sql.json({ ...account, state: 'unavailable', detail: 'WHMCS did not answer within 3 s', readAt: null, facts: [] })}
        WHERE ticket_id = ${without}`
      const page = await signedIn(`support_agent@${t.slug}.test`, `/app/tickets/${withFacts}`)
      const panel = page.getByRole('region', { name: 'Account', exact: true })
      const facts = panel.getByRole('list', { name: 'Account facts' })
      await facts
        .getByRole('listitem')
        .filter({ hasText: 'Starter Hosting (example.com)' })
        .getByText('Cited')
        .waitFor()
      await facts
        .getByRole('listitem')
        .filter({ hasText: 'Domain example.org' })
        .getByText('Not cited')
        .waitFor()
      await facts
        .getByRole('listitem')
        .filter({ hasText: 'Reseller Hosting' })
        .getByText('Shown to agents only')
        .waitFor()
      await panel.getByText('2 facts given to the draft, 1 cited; 1 shown to agents only.').waitFor()
      await panel.scrollIntoViewIfNeeded()
      await shot(page, 'ticket-account')
      await page.goto(`${app.url}/app/tickets/${without}`)
      await page
        .getByRole('region', { name: 'Account', exact: true })
        .getByText('WHMCS could not be read in time')
        .filter({ hasText: 'WHMCS did not answer within 3 s' })
        .waitFor()
      await page.context().close()
    })

    it('lets an admin turn account facts off and choose their kinds in Settings', async () => {
      const page = await signedIn(`admin@${t.slug}.test`, '/app/settings')
      await page
        .getByRole('navigation', { name: 'Settings' })
        .getByRole('link', { name: 'Account facts' })
        .click()
      await page.getByLabel('Domain registrations').uncheck()
      await page.getByLabel('Wait for WHMCS at most (ms)').fill('2000')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByRole('status').filter({ hasText: 'Account facts saved' }).waitFor()
      const saved = await app.call('GET', '/settings/account-facts', undefined, { token: t.admin })
      expect(saved.body).toMatchObject({
        enabled: true,
        budgetMs: 2000,
        kinds: { domains: false, services: true },
      })
      // Off: the kinds are disabled with it; a value the API refuses is said beside its field.
      await page.getByLabel('Use account facts in drafts').uncheck()
      await page.getByLabel('Wait for WHMCS at most (ms)').fill('30000')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByText('Not saved').waitFor()
      expect(await page.getByLabel('Wait for WHMCS at most (ms)').inputValue()).toBe('30000')
      await page.getByLabel('Wait for WHMCS at most (ms)').fill('3000')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.getByRole('status').filter({ hasText: 'Account facts saved' }).waitFor()
      const off = await app.call('GET', '/settings/account-facts', undefined, { token: t.admin })
      expect(off.body).toMatchObject({ enabled: false, budgetMs: 3000 })
      await page.context().close()
    })

    it('sends an expired session back to sign-in and returns to the page after signing in', async () => {
      const id = await ticket('DNS', 'My domain does not resolve since yesterday.')
      const page = await signedIn(`support_agent@${t.slug}.test`)
      // A real token of this agent that expired a minute ago: only the server can tell.
      const [agent] = await app.rt.deps.sql<{ id: number; tokenVersion: number }[]>`
      SELECT id, token_version FROM users WHERE id = ${t.agentId}`
      const settings = jwtSettings(app.rt.deps)
      const issued = new Date(Date.now() - settings.ttlSeconds * 1000 - 60_000)
      const { token: expired } = await issueToken(
        settings,
        { id: agent!.id, tenantId: t.id, role: 'support_agent', tokenVersion: agent!.tokenVersion },
        issued,
      )
      await page.evaluate((token) => {
        const storage = (globalThis as any).localStorage
        const session = JSON.parse(storage.getItem('draftdesk.session'))
        storage.setItem('draftdesk.session', JSON.stringify({ ...session, token }))
      }, expired)
      await page.goto(`${app.url}/app/tickets/${id}`)
      await page.getByRole('heading', { name: 'Sign in to Draftdesk' }).waitFor()
      expect(new URL(page.url()).searchParams.get('next')).toBe(`/tickets/${id}`)
      await signIn(page, `support_agent@${t.slug}.test`)
      await page.getByRole('heading', { name: `#${id} DNS` }).waitFor()
      await page.context().close()
    })
  },
)
