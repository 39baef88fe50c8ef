/**
 * Draft pipeline benchmark. Run: `npx tsx bench/drafts.ts`.
 *
 * 1. Pipeline overhead per draft, excluding model time, with 10,000 KB chunks: `generateDraft` is called
 *    directly for 100 tickets against the fake Ollama at zero latency; overhead = total − chat time. The
 *    query embedding's round trip to the fake stays in (it is part of retrieval).
 * 2. Drafts per minute through the local queue with 4 workers, at a fake model latency of 0 ms (the pipeline's
 *    own ceiling) and 500 ms: 60 tickets are enqueued through the outbox, then the clock runs from publishing
 *    them until the queue is idle.
 *
 * Data is generated from a fixed seed: 1,000 articles × 10 chunks over 40 hosting topics.
 */
import pgvector from 'pgvector'
import { hashedEmbedding } from '#shared/ai/hashed-embedding'
import { generateDraft } from '#shared/drafts/pipeline'
import type { DraftTimings } from '#shared/drafts/types'
import { type ClaimedJob, publishJobs } from '#shared/queue/outbox'
import { queueDraft } from '#shared/tickets/tickets'
import { startFakeOllama } from '../test/fakes/ollama-server.ts'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { dropIndex, latencies, record, rng, table } from './lib.ts'

const ARTICLES = 1_000
const CHUNKS_PER_ARTICLE = 10
const OVERHEAD_DRAFTS = 100
const QUEUE_DRAFTS = 60
const WORKERS = 4

const TOPICS = [
  ['cPanel password', 'reset the cPanel password from the client area under Services'],
  ['DNS nameservers', 'point the domain to ns1 and ns2 at the registrar; propagation takes up to 24 hours'],
  ['SSL certificate', "issue a free Let's Encrypt certificate with AutoSSL and force HTTPS"],
  ['email deliverability', 'add SPF, DKIM and DMARC records so mail does not land in spam'],
  ['IMAP settings', 'use mail.example.com on port 993 with SSL for incoming mail'],
  ['SMTP settings', 'send through port 465 with SSL or 587 with STARTTLS and authentication'],
  ['WordPress migration', 'use the free migration service or the All-in-One WP Migration plugin'],
  ['backups', 'JetBackup keeps daily backups for 30 days; restore files or databases in one click'],
  ['PHP version', 'change the PHP version per domain in MultiPHP Manager'],
  ['MySQL database', 'create the database and user in MySQL Databases and grant all privileges'],
  ['FTP access', 'create FTP accounts in cPanel and connect with FileZilla on port 21 or SFTP on 22'],
  ['invoice payment', 'pay invoices by card or PayPal from the Billing section of the client area'],
  ['plan upgrade', 'upgrade the hosting plan from Services, Upgrade/Downgrade; the price is prorated'],
  ['domain transfer', 'unlock the domain, get the EPP code and start the transfer in the client area'],
  ['domain renewal', 'domains renew automatically 14 days before expiry when auto-renew is on'],
  ['website down', 'check the status page, then the error log; 500 errors often come from .htaccess'],
  ['slow website', 'enable LiteSpeed Cache, optimise images and check resource usage in cPanel'],
  ['resource limits', 'CPU and entry process limits are listed under Resource Usage in cPanel'],
  ['cron jobs', 'add cron jobs in cPanel, Cron Jobs; the shortest interval is every 5 minutes'],
  ['SSH access', 'enable SSH from the client area and add your public key in SSH Access'],
  ['two-factor authentication', 'turn on two-factor authentication in Security settings of the client area'],
  ['email forwarding', 'create forwarders in cPanel, Forwarders, to copy mail to another address'],
  ['spam filter', 'SpamAssassin scores mail; raise or lower the threshold in Spam Filters'],
  ['disk quota', 'disk usage is in the cPanel sidebar; clear old backups and mail to free space'],
  ['subdomains', 'create subdomains in cPanel, Domains; each gets its own document root'],
  ['addon domains', 'add more domains to the plan in cPanel, Domains, Create a New Domain'],
  ['redirects', 'set 301 redirects in cPanel, Redirects, or in .htaccess with RewriteRule'],
  ['Node.js apps', 'deploy Node.js apps with Setup Node.js App and choose the Node version'],
  ['Python apps', 'use Setup Python App to create a virtual environment and set the entry point'],
  ['Git deployment', 'clone repositories with Git Version Control and deploy with .cpanel.yml'],
  ['staging site', 'WordPress Toolkit creates a staging copy and syncs it back to production'],
  ['CDN', 'enable the free Cloudflare CDN from the client area in one click'],
  ['firewall', 'the server firewall blocks IPs after repeated failed logins; unblock from the client area'],
  ['malware scan', 'Imunify360 scans files daily and cleans infected files automatically'],
  ['webmail', 'open webmail at example.com/webmail and log in with the full mailbox address'],
  ['mailbox quota', 'raise the mailbox quota in cPanel, Email Accounts, Manage'],
  ['database import', 'import large SQL dumps with phpMyAdmin or the mysql command over SSH'],
  ['reseller hosting', 'create client accounts in WHM with packages that set their limits'],
  ['VPS reboot', 'reboot the VPS from the client area; a hard reboot takes about two minutes'],
  ['IP address', 'the shared IP is shown in the cPanel sidebar under Server Information'],
] as const

const FILLER = [
  'This applies to every shared hosting plan.',
  'Contact support if the steps do not work for you.',
  'Changes take effect within a few minutes.',
  'You can find the option in the left-hand menu.',
  'Screenshots are available in the full guide.',
  'Resellers can do the same for their clients in WHM.',
  'The setting is saved per account.',
  'Our team can do this for you free of charge.',
]

const random = rng(20_241)
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!

const fake = await startFakeOllama()
const app = await startTestApp({
  workers: false,
  env: { OLLAMA_HOST: fake.url, LOG_LEVEL: 'ERROR' },
  queue: { concurrency: WORKERS, pollIntervalMs: 20, retryBaseMs: 200 },
})
const sql = app.rt.deps.sql
const tenant = await createTenant(app, 'bench-drafts')

// --- data: 10,000 chunks, embedded with the same hashed embedder the fake Ollama uses ---
const loadStarted = performance.now()
// Building the HNSW index once after the load is much faster than inserting 10,000 vectors into it one by
// one; the resulting index (the migrations' definition) is what the queries run against.
const hnswIndex = await dropIndex(sql, 'ix_kb_embedding')
for (let a = 0; a < ARTICLES; a += 100) {
  const articles = Array.from({ length: 100 }, (_, i) => {
    const [topic] = TOPICS[(a + i) % TOPICS.length]!
    return { tenant_id: tenant.id, title: `${topic} guide ${a + i}`, content: 'generated', is_indexed: true }
  })
  const ids = await sql<
    { id: number; title: string }[]
  >`INSERT INTO kb_articles ${sql(articles)} RETURNING id, title`
  const chunks = ids.flatMap(({ id, title }, i) => {
    const [topic, answer] = TOPICS[(a + i) % TOPICS.length]!
    return Array.from({ length: CHUNKS_PER_ARTICLE }, (_, c) => {
      const text = `${title} › Part ${c + 1}\nTo work with ${topic}, ${answer}. ${pick(FILLER)} ${pick(FILLER)} ${pick(FILLER)} (ref ${id}-${c})`
      return {
        tenant_id: tenant.id,
        source_kind: 'tenant_kb',
        source: `kb_article:${id}`,
        article_id: id,
        chunk_index: c,
        chunk: text,
        chunk_hash: `${id}-${c}`.padEnd(64, '0'),
        embedding_vector: pgvector.toSql(hashedEmbedding(text)) as string,
      }
    })
  })
  await sql`INSERT INTO kb_chunks ${sql(chunks)}`
}
await sql.unsafe(hnswIndex)
// The state autovacuum leaves a KB in after a bulk load, which is the state drafts meet for most of its life:
// statistics, the visibility map (the coverage count is an index-only scan) and an empty GIN pending list.
// Right after the load the 10,000 rows' full-text entries still sit in that list (fastupdate), and every
// text search scans it linearly until a vacuum merges it: ~0.5 ms more per lexeme looked up (docs/benchmarks.md).
await sql`VACUUM ANALYZE kb_chunks`
const loadMs = performance.now() - loadStarted

/** Tickets with one customer message each, their draft jobs queued into `enqueue` when given; returns [ticketId, messageId]. */
async function makeTickets(n: number, enqueue: ClaimedJob[] | null): Promise<Array<[number, number]>> {
  const made: Array<[number, number]> = []
  for (let i = 0; i < n; i++) {
    const [topic] = pick(TOPICS)
    await sql.begin(async (tx) => {
      const [ticket] = await tx<{ id: number }[]>`
        INSERT INTO tickets (tenant_id, subject, content) VALUES (${tenant.id}, ${`Question about ${topic}`},
          ${`Hello, how do I set up ${topic} for my site? Thanks`}) RETURNING id`
      const [message] = await tx<{ id: number }[]>`
        INSERT INTO messages (tenant_id, ticket_id, role, content)
        VALUES (${tenant.id}, ${ticket!.id}, 'user', ${`Hello, how do I set up ${topic} for my site? Thanks`})
        RETURNING id`
      if (enqueue) await queueDraft(tx, enqueue, tenant.id, ticket!.id, message!.id, 'auto')
      made.push([ticket!.id, message!.id])
    })
  }
  return made
}

// --- 1. pipeline overhead at zero model latency ---
const timings: DraftTimings[] = []
// The query embedding's round trip, timed here (not in the product) so retrieval splits into it and SQL.
const embedMs: number[] = []
const ai = app.rt.deps.ai
const embed = ai.embed.bind(ai)
ai.embed = async (...args) => {
  const t0 = performance.now()
  try {
    return await embed(...args)
  } finally {
    embedMs.push(performance.now() - t0)
  }
}
const tickets = await makeTickets(OVERHEAD_DRAFTS + 5, null)
for (const [i, [ticketId, messageId]] of tickets.entries()) {
  const outcome = await generateDraft(
    app.rt.deps,
    {
      jobId: crypto.randomUUID(),
      tenantId: tenant.id,
      ticketId,
      messageId,
      trigger: 'auto',
      userId: null,
    },
    [],
  )
  if (outcome.status !== 'created') throw new Error(`draft skipped: ${outcome.reason}`)
  if (i >= 5) timings.push(outcome.timings) // the first few warm up compiled rules and prepared statements
}
const stage = (name: string, pickMs: (t: DraftTimings) => number) => ({
  measure: name,
  ...latencies(name, timings.map(pickMs), ['p50', 'p95']),
})

// --- 2. drafts per minute through the local queue, 4 workers, at 0 ms and 500 ms model latency ---
app.rt.queues.start()
async function throughput(modelMs: number) {
  fake.setLatency(modelMs, '/api/chat')
  const jobs: ClaimedJob[] = []
  const made = await makeTickets(QUEUE_DRAFTS, jobs)
  const started = performance.now()
  await publishJobs(app.rt.deps, jobs)
  await app.rt.queues.idle(170_000)
  const elapsed = performance.now() - started
  const [done] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM ai_replies WHERE tenant_id = ${tenant.id} AND trigger = 'auto'
      AND ticket_id IN ${sql(made.map(([ticketId]) => ticketId))}`
  const perMinute = (done!.n / elapsed) * 60_000
  const name = `drafts through the local queue, ${WORKERS} workers, model ${modelMs} ms`
  record({ case: name, metric: 'drafts', value: perMinute, unit: '/min', better: 'higher' })
  return {
    measure: name,
    drafts: done!.n,
    seconds: (elapsed / 1000).toFixed(1),
    'drafts/min': Math.round(perMinute),
    'ceiling drafts/min': modelMs ? Math.round((WORKERS * 60_000) / modelMs) : '',
  }
}
const queued = [await throughput(0), await throughput(500)]
const dead = await app.rt.queues.deadLetters('draft')

console.log(
  `\n${ARTICLES * CHUNKS_PER_ARTICLE} chunks loaded in ${(loadMs / 1000).toFixed(1)} s; ` +
    `${timings.length} drafts measured, fake Ollama at 0 ms`,
)
table([
  stage('pipeline overhead (total − chat)', (t) => t.totalMs - t.modelMs),
  stage('  load ticket, thread, config, prompt; mask PII', (t) => t.loadMs),
  stage('  hybrid retrieval + coverage lexeme counts (side by side)', (t) => t.retrievalMs),
  {
    measure: '    of which query embed round trip (runs beside the text leg)',
    ...latencies('query embed round trip', embedMs.slice(5), ['p50', 'p95']),
  },
  stage('  rerank + prompt build', (t) => t.rerankMs),
  stage('  citations, escalation, confidence, intent', (t) => t.scoringMs),
  stage('  store (one transaction)', (t) => t.storeMs),
  stage('chat round trip to the fake (excluded)', (t) => t.modelMs),
])
table(queued.map((row) => ({ ...row, 'dead letters': dead.length })))
await app.stop()
await fake.close()
