/**
 * The desk console (issue 29): its bundle size (gzip), and in headless Chromium the time until the review queue
 * with 1,000 pending tickets is usable, with the API calls that page makes (count and p95 of their duration).
 * Run: `npx tsx bench/console.ts` (or `npm run bench -- console`, both engines). Needs /usr/bin/chromium
 * (CHROMIUM_PATH); BENCH_QUEUE=<n> seeds another queue length, BENCH_RUNS=<n> loads the page n times.
 *
 * "Usable" is what an agent waits for: the page is signed in, every ticket is loaded and sorted, the rows are
 * on screen and the count says "1000 of 1000 waiting". Each load is a new browser context with the session
 * already stored (no sign-in, no HTTP cache), as when an agent opens the console in a new window.
 */
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Request } from 'playwright-core'
import { CONSOLE_DIST, ensureConsoleBuilt } from '../local/console-build.ts'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { CHROMIUM, launchChromium } from '../test/helpers/chromium.ts'
import { latencies, record, rng, table } from './lib.ts'

const QUEUE = Number(process.env.BENCH_QUEUE ?? 1_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const PASSWORD = 'password-123'

if (!existsSync(CHROMIUM)) {
  console.log(`bench/console.ts: no Chromium at ${CHROMIUM} (apt-get install chromium); skipped`)
  process.exit(0)
}

// Bundle size: what the first page load fetches (the page, its entry script and style sheet; the pages with
// large libraries load when opened) and every asset of the build.
await ensureConsoleBuilt()
const gz = (file: string) => gzipSync(readFileSync(file)).length / 1024
const page = readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8')
const initial = [
  'index.html',
  ...[...page.matchAll(/(?:src|href)="\/app\/(assets\/[^"]+)"/g)].map((m) => m[1]!),
]
const assets = readdirSync(join(CONSOLE_DIST, 'assets')).map((f) => join('assets', f))
const initialKb = initial.reduce((sum, f) => sum + gz(join(CONSOLE_DIST, f)), 0)
const allKb = ['index.html', ...assets].reduce((sum, f) => sum + gz(join(CONSOLE_DIST, f)), 0)
const rawKb = assets.reduce((sum, f) => sum + statSync(join(CONSOLE_DIST, f)).size / 1024, 0)

const app = await startTestApp({ workers: false, env: { LOG_LEVEL: 'ERROR' } })
const desk = await createTenant(app, 'bench-console')
const sql = app.rt.deps.sql
const random = rng(29)

// The queue: QUEUE tickets whose only draft is pending, 15% escalated, waiting up to three days; loaded by SQL
// (the bench measures the page, not ticket creation).
const [version] = await sql<{ id: number }[]>`
  INSERT INTO prompt_versions (tenant_id, version, name, system_prompt, context_template, task_template)
  VALUES (${desk.id}, 'v1', 'Prompt v1', 's', 'c', 't') RETURNING id`
const subjects = ['DNS does not resolve', 'SSL expired', 'Mailbox full', 'Invoice question', 'Backup restore']
for (let start = 0; start < QUEUE; start += 500) {
  const n = Math.min(500, QUEUE - start)
  const tickets = await sql<{ id: number }[]>`
    INSERT INTO tickets ${sql(
      Array.from({ length: n }, (_, i) => ({
        tenant_id: desk.id,
        subject: `${subjects[(start + i) % subjects.length]} (${start + i})`,
        content: 'Generated for the console benchmark.',
        created_at: new Date(Date.now() - random() * 3 * 24 * 3600 * 1000),
      })),
    )} RETURNING id`
  await sql`INSERT INTO ai_replies ${sql(
    tickets.map(({ id }) => ({
      tenant_id: desk.id,
      ticket_id: id,
      request_id: randomUUID(),
      prompt_version_id: version!.id,
      ai_reply: 'Generated draft text.',
      confidence_score: Math.round(random() * 100),
      provider: 'builtin',
      model: 'extractive',
      status: 'pending',
      escalated: random() < 0.15,
      escalation_reasons: sql.json([]),
    })) as never,
  )}`
}
await sql`ANALYZE`

const browser = await launchChromium()
const viewport = { width: 1280, height: 800 }

// Sign in once through the page; every measured load starts from that stored session.
const signIn = await (await browser.newContext({ viewport })).newPage()
await signIn.goto(`${app.url}/app/sign-in`)
await signIn.getByLabel('Tenant').fill(desk.slug)
await signIn.getByLabel('Email').fill(`support_agent@${desk.slug}.test`)
await signIn.getByLabel('Password').fill(PASSWORD)
await signIn.getByRole('button', { name: 'Sign in' }).click()
await signIn.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 60_000 })
const storageState = await signIn.context().storageState()
await signIn.context().close()

const usable: number[] = []
const apiDurations: number[] = []
const apiCounts: number[] = []
const waiting = `${QUEUE} of ${QUEUE} waiting`
for (let run = 0; run < RUNS + 1; run++) {
  const context = await browser.newContext({ viewport, storageState })
  const tab = await context.newPage()
  const calls: Request[] = []
  tab.on('requestfinished', (request) => {
    if (!new URL(request.url()).pathname.startsWith('/app/')) calls.push(request)
  })
  const start = performance.now()
  await tab.goto(`${app.url}/app/`)
  await tab.getByRole('status').filter({ hasText: waiting }).waitFor({ timeout: 120_000 })
  await tab.getByRole('table', { name: 'Tickets waiting for review' }).getByRole('row').nth(QUEUE).waitFor()
  const took = performance.now() - start
  // The first load warms the server (query plans, PGlite's caches) and is not counted.
  if (run > 0) {
    usable.push(took)
    apiCounts.push(calls.length)
    for (const call of calls) apiDurations.push(call.timing().responseEnd)
  }
  await context.close()
}
await browser.close()
await app.stop()

const countMin = Math.min(...apiCounts)
const countMax = Math.max(...apiCounts)
record(
  { case: 'console bundle, first load (gzip)', metric: 'KB', value: initialKb, unit: '', better: 'lower' },
  { case: 'console bundle, all assets (gzip)', metric: 'KB', value: allKb, unit: '', better: 'lower' },
  {
    case: `review queue, ${QUEUE} tickets: API calls`,
    metric: 'count',
    value: countMax,
    unit: '',
    better: 'lower',
  },
)
table([
  { case: 'console bundle, first load', size: `${initialKb.toFixed(1)} KB gzip (${initial.length} files)` },
  { case: 'console bundle, all assets', size: `${allKb.toFixed(1)} KB gzip (${rawKb.toFixed(0)} KB raw)` },
])
table([
  {
    case: `review queue usable, ${QUEUE} tickets (${RUNS} loads)`,
    ...latencies(`review queue usable, ${QUEUE} pending tickets`, usable, ['p50', 'p95']),
  },
  {
    case: `API calls of the queue page: ${countMin === countMax ? countMin : `${countMin}–${countMax}`} a load`,
    ...latencies(`review queue, ${QUEUE} tickets: API call`, apiDurations, ['p50', 'p95']),
  },
])
