/**
 * Shadow replay benchmark (issue 28). Run: `npx tsx bench/replay.ts` (or `npm run bench -- replay` for both
 * engines side by side).
 *
 * A WHMCS desk's history of 500 answered and closed tickets (the eval set's tickets and staff replies,
 * repeated) sits in the fake WHMCS; the desk's KB is the eval set's articles. The clock runs from
 * `POST /calibration/replay` until `GET /calibration` says the run is done: import (a GetTicket per ticket),
 * shadow drafts labelled against the staff replies, and the fit, through the local queue as `npm start` runs
 * it, at the replay's default concurrency.
 * 1. With the built-in provider: the replay's own ceiling, in tickets per second.
 * 2. With a 500 ms model (the fake Ollama answering every chat after 500 ms): the time for 500 tickets.
 */
import { REPLAY_CHUNK, REPLAY_CONCURRENCY } from '#shared/calibration/replay'
import { loadDataset } from '../eval/run.ts'
import { startFakeOllama } from '../test/fakes/ollama-server.ts'
import { type FakeWhmcs, startFakeWhmcs } from '../test/fakes/whmcs-server.ts'
import { createTenant, startTestApp } from '../test/helpers/app.ts'
import { record, table } from './lib.ts'

const TICKETS = 500
const MODEL_MS = 500
const CREDS = { identifier: 'bench-replay-ident', secret: 'bench-replay-secret' }

const { articles, tickets } = loadDataset()

/** The desk's history: TICKETS answered tickets, the set's repeated, spread over the last 60 days. */
function seed(whmcs: FakeWhmcs): void {
  whmcs.store.seedHistory(
    Array.from({ length: TICKETS }, (_, i) => {
      const t = tickets[i % tickets.length]!
      return { subject: t.subject, message: t.content, reply: t.staffReply, daysAgo: 1 + (i % 60) }
    }),
  )
}

/** One replay of the seeded history on a fresh runtime; returns its seconds and tickets replayed. */
async function replay(label: string, env: Record<string, string>) {
  const whmcs = await startFakeWhmcs(CREDS)
  seed(whmcs)
  const app = await startTestApp({ env: { LOG_LEVEL: 'ERROR', ...env } })
  try {
    const desk = await createTenant(app, 'bench-replay')
    const patch = { whmcsUrl: whmcs.url, whmcsIdentifier: CREDS.identifier, whmcsSecret: CREDS.secret }
    await app.call('PATCH', `/tenants/${desk.id}`, patch, { token: app.superToken })
    const markdown = articles.map(({ filename, text }) => ({ filename, text }))
    await app.call('POST', '/kb/import', { markdown }, { token: desk.admin })
    await app.rt.queues.idle(300_000)

    const started = performance.now()
    const res = await app.call('POST', '/calibration/replay', { limit: TICKETS }, { token: desk.admin })
    if (res.status !== 202) throw new Error(`replay answered ${res.status}: ${JSON.stringify(res.body)}`)
    let run: { status: string; done: number; errors: number; total: number } | null = null
    // Polled every 50 ms: the clock's resolution, well below a run's seconds.
    while (!run || run.status === 'running') {
      await new Promise((r) => setTimeout(r, 50))
      run = (await app.call('GET', '/calibration', undefined, { token: desk.admin })).body.run
    }
    const seconds = (performance.now() - started) / 1000
    if (run.status !== 'done') throw new Error(`${label}: the run ended ${run.status}`)
    return { seconds, done: run.done, errors: run.errors, total: run.total }
  } finally {
    await app.stop()
    await whmcs.close()
  }
}

const builtin = await replay('built-in provider', { OLLAMA_HOST: '' })
const builtinRate = builtin.done / builtin.seconds
record({
  case: `replay of ${TICKETS} WHMCS tickets, built-in provider`,
  metric: 'tickets',
  value: builtinRate,
  unit: '/s',
  better: 'higher',
})

const fake = await startFakeOllama()
fake.setLatency(MODEL_MS, '/api/chat')
let slow: Awaited<ReturnType<typeof replay>>
try {
  slow = await replay('500 ms model', { OLLAMA_HOST: fake.url })
} finally {
  await fake.close()
}
record({
  case: `replay of ${TICKETS} WHMCS tickets, model ${MODEL_MS} ms`,
  metric: 'time',
  value: slow.seconds,
  unit: 's',
  better: 'lower',
})

console.log(
  `\n${TICKETS} tickets from the fake WHMCS, ${articles.length} articles; chunks of ${REPLAY_CHUNK}, ` +
    `${REPLAY_CONCURRENCY} drafted at once (the default)`,
)
table([
  {
    measure: 'replay, built-in provider',
    tickets: builtin.done,
    errors: builtin.errors,
    seconds: builtin.seconds.toFixed(1),
    'tickets/s': builtinRate.toFixed(1),
    'ceiling s': '',
  },
  {
    measure: `replay, model ${MODEL_MS} ms`,
    tickets: slow.done,
    errors: slow.errors,
    seconds: slow.seconds.toFixed(1),
    'tickets/s': (slow.done / slow.seconds).toFixed(1),
    'ceiling s': ((TICKETS * MODEL_MS) / 1000 / REPLAY_CONCURRENCY).toFixed(1),
  },
])
