/**
 * `npm run eval`: the labelled evaluation set through the real pipeline, and the figures that say whether
 * escalation and confidence mean something.
 *
 *   fresh embedded database (the local runtime, as `npm start` runs it) → tenant → POST /kb/import of
 *   eval/dataset/articles → embed worker → POST /tickets for every labelled ticket → draft worker →
 *   drafts read back from ai_replies → judged against the labels (eval/report.ts) → JSON + SVG report.
 *
 * The provider is whatever the runtime selects: the built-in one by default, Ollama when OLLAMA_HOST is
 * set (OLLAMA_EMBED_MODEL / OLLAMA_CHAT_MODEL as usual). Options:
 *   --prompt <file.json>  also evaluate this prompt version (POST /prompts body), repeatable
 *   --no-fit              skip deriving a calibration (the second round below)
 *   --budget <share>      most answerable tickets the suggested cut-offs may escalate (default 0.1)
 *   --out <dir>           where report.json and reliability.svg go (default eval/out/<space>, git-ignored)
 *   --update              write them to the committed reports in eval/results/<space> instead, and the
 *                         suggested calibration into shared/trust/builtin-calibrations.json
 *   --tickets <file>      draft these tickets instead of eval/dataset/tickets.json, against the same
 *                         articles (eval/holdout/tickets.json: checks the shipped cut-offs, with --no-fit)
 *   --no-desk             skip the desk simulation
 *
 * Calibration: after the round with the shipped calibration, the harness suggests the pair of
 * low-retrieval cut-offs (similarity, knowledge coverage) that catches most out-of-KB tickets while
 * escalating at most the budget of answerable ones (it prints the whole similarity-only trade-off, the
 * pair's 5-fold cross-validated rates, and the pair that would keep the budget out of sample) and a
 * minimum source score, drafts
 * every ticket again with them, and fits the isotonic confidence map on that round. The report's
 * `suggestedCalibration` is the space's built-in entry; `--update` writes it into
 * shared/trust/builtin-calibrations.json, the one file the code reads.
 *
 * Desk simulation (eval/desk.ts, `--no-desk` skips it): every ticket drafted in shadow and labelled against
 * its staff reply with a real replay's rules; a desk fits on part of the set as history and is judged on the
 * rest, over several splits.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import {
  type Calibration,
  calibrationFor,
  type ReliabilityBin,
  useCandidateCalibrations,
} from '#shared/trust/calibration'
import {
  budgetHoldingOutOfSample,
  type CrossValidatedCut,
  crossValidated,
  crossValidatedCut,
  ece,
  fitIsotonic,
  jointCutForBudget,
  readMap,
} from '#shared/trust/fit-metrics'
import { createTenant, startTestApp, type TenantFixture, type TestApp } from '../test/helpers/app.ts'
import { type DeskReport, shadowTickets, simulateDesk } from './desk.ts'
import { type ThresholdPoint, thresholdCurve, thresholdForBudget } from './metrics.ts'
import {
  type DraftRecord,
  type EvalTicket,
  judge,
  type RoundMetrics,
  reliabilitySvg,
  roundMetrics,
  type TicketOutcome,
} from './report.ts'

const ROOT = join(import.meta.dirname, '..')
// A real Ollama drafts a ticket in seconds; the local queue's default 30 s idle wait is for tests.
const IDLE_MS = 60 * 60 * 1000
// Share of answerable tickets whose expected passage the minimum source score may drop.
const SOURCE_SCORE_QUANTILE = 0.1
/** Default budget: at most this share of answerable tickets may escalate for low retrieval. */
export const DEFAULT_ESCALATION_BUDGET = 0.1

export interface EvalOptions {
  datasetDir?: string
  /** A tickets file to use instead of the dataset's own (same format, same articles). */
  ticketsFile?: string
  /** Environment for the runtime (merged over process.env), e.g. OLLAMA_HOST. */
  env?: Record<string, string | undefined>
  /** Evaluate every n-th ticket only (quick runs); default 1 = all. */
  every?: number
  /** Derive a calibration (second round); default true. */
  fit?: boolean
  /** Most answerable tickets the suggested threshold may escalate for low retrieval; default 0.1. */
  escalationBudget?: number
  /** Prompt versions (POST /prompts bodies) to evaluate besides the active default. */
  prompts?: Array<Record<string, unknown>>
  /** Run the desk simulation (eval/desk.ts); default true. */
  desk?: boolean
  log?: (line: string) => void
}

export interface Round {
  name: string
  promptVersion: { id: number | null; version: string | null; name: string | null }
  calibration: unknown
  metrics: RoundMetrics
  outcomes: TicketOutcome[]
}

export interface EvalReport {
  generatedAt: string
  command: string
  dataset: {
    articles: number
    tickets: number
    byLabel: Record<string, number>
    byLanguage: Record<string, number>
  }
  provider: { name: string; embedModel: string }
  rounds: Round[]
  /** The desk simulation: a desk replays part of the set as history and is judged on the rest (eval/desk.ts). */
  desk: Omit<DeskReport, 'tickets'> | null
  suggestedCalibration:
    | (Calibration & {
        fit: {
          threshold: {
            answerableEscalated: number
            outOfKbCaught: number
            budget: number
            /** The pair's rates on tickets it was not fitted on (5-fold, `crossValidatedCut`). */
            crossValidated: CrossValidatedCut | null
            /** The pair fitted to the largest budget that keeps `budget` out of sample (`budgetHoldingOutOfSample`). */
            outOfSample: {
              inSampleBudget: number
              threshold: number
              minCoverage: number
              crossValidated: CrossValidatedCut
            } | null
          }
          /** Every candidate threshold and what it escalates, for an operator choosing another budget. */
          curve: ThresholdPoint[]
          eceInSample: number | null
          eceCrossValidated: number | null
          brierCrossValidated: number | null
          metricsWithMap: RoundMetrics
        }
      })
    | null
}

interface Article {
  slug: string
  filename: string
  text: string
}

/** Reads eval/dataset (format: eval/dataset/SPEC.md). */
export function loadDataset(
  dir = join(ROOT, 'eval', 'dataset'),
  ticketsFile = join(dir, 'tickets.json'),
): {
  articles: Article[]
  tickets: EvalTicket[]
} {
  const articles = readdirSync(join(dir, 'articles'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((filename) => ({
      slug: filename.replace(/\.md$/, ''),
      filename,
      text: readFileSync(join(dir, 'articles', filename), 'utf8'),
    }))
  const tickets = JSON.parse(readFileSync(ticketsFile, 'utf8')) as EvalTicket[]
  return { articles, tickets }
}

const countBy = <T>(items: readonly T[], key: (t: T) => string) =>
  items.reduce<Record<string, number>>((acc, t) => {
    acc[key(t)] = (acc[key(t)] ?? 0) + 1
    return acc
  }, {})

interface SourceRow {
  articleId: number | null
  relevance: number | null
  cited?: boolean
}

interface DraftRow {
  ticketId: number
  reply: string
  confidenceScore: number
  confidenceRaw: number | null
  escalated: boolean
  escalationReasons: Array<{ code: string; category?: string }>
  contextSources: SourceRow[]
  rerankedSources: SourceRow[]
  language: string | null
  calibration: { id?: string; coverage?: number | null; unmentioned?: string[] } | null
  promptVersionId: number | null
}

/** Runs the harness; see the module comment. Starts and stops its own runtime. */
export async function runEval(options: EvalOptions = {}): Promise<EvalReport> {
  const log = options.log ?? (() => {})
  const { articles, tickets: all } = loadDataset(options.datasetDir, options.ticketsFile)
  const tickets = all.filter((_, i) => i % (options.every ?? 1) === 0)
  const app = await startTestApp({
    env: { OLLAMA_HOST: process.env.OLLAMA_HOST ?? '', LOG_LEVEL: 'ERROR', ...options.env },
  })
  try {
    const t = await createTenant(app, 'eval')
    const call = async (method: string, path: string, body: unknown, token: string) => {
      const res = await app.call(method, path, body, { token })
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`)
      return res.body
    }
    log(`importing ${articles.length} articles with provider ${app.rt.deps.ai.name}`)
    const imported = await call(
      'POST',
      '/kb/import',
      { markdown: articles.map(({ filename, text }) => ({ filename, text })) },
      t.admin,
    )
    const slugById = new Map<number, string>(
      (imported.items as Array<{ id: number }>).map((item, i) => [item.id, articles[i]!.slug]),
    )
    await app.rt.queues.idle(IDLE_MS)
    const ticketIds: number[] = []
    for (const ticket of tickets) {
      const created = await call(
        'POST',
        '/tickets',
        { subject: ticket.subject, content: ticket.content, priority: ticket.priority },
        t.customer,
      )
      ticketIds.push(created.id)
    }
    log(`drafting ${tickets.length} tickets`)
    await app.rt.queues.idle(IDLE_MS)

    const read = (since: number) => readRound(app, t, tickets, ticketIds, slugById, since)
    const rounds: Round[] = []
    let marker = 0
    const nextRound = async (name: string) => {
      const { round, maxId } = await read(marker)
      marker = maxId
      const { expectedRelevance: _relevance, ...kept } = round
      rounds.push({ name, ...kept })
      log(`${name}: ${summaryLine(round.metrics)}`)
      return round
    }
    const redraftAll = async () => {
      for (const id of ticketIds) await call('POST', `/tickets/${id}/drafts`, {}, t.agent)
      await app.rt.queues.idle(IDLE_MS)
    }
    const configured = await nextRound('configured')
    let desk: EvalReport['desk'] = null
    if (options.desk ?? true) {
      log(`desk simulation: drafting ${tickets.length} tickets in shadow`)
      const shadowed = await shadowTickets(app.rt.deps, t.id, tickets, slugById)
      const space = { provider: app.rt.deps.ai.name, model: app.rt.deps.ai.embedModel }
      const { tickets: _perTicket, ...simulated } = simulateDesk(shadowed, calibrationFor(space, 0.5), {
        budget: options.escalationBudget ?? DEFAULT_ESCALATION_BUDGET,
      })
      desk = simulated
      log(`desk simulation: ${deskLine(simulated)}`)
    }

    for (const prompt of options.prompts ?? []) {
      const created = await call('POST', '/prompts', prompt, t.admin)
      await call('POST', `/prompts/${created.id}/activate`, {}, t.admin)
      await redraftAll()
      await nextRound(`prompt ${String(prompt.version)}`)
    }

    let suggestedCalibration: EvalReport['suggestedCalibration'] = null
    if (options.fit ?? true) {
      const ai = app.rt.deps.ai
      const answerable = configured.outcomes.filter((o) => o.label === 'answerable')
      const outOfKb = configured.outcomes.filter((o) => o.label === 'out_of_kb')
      const keep = answerable.map((o) => o.bestRetrievalScore ?? 0)
      const escalate = outOfKb.map((o) => o.bestRetrievalScore ?? 0)
      // What the cut-offs cannot change stays as it is: a ticket escalated for unmentioned terms counts
      // against the budget and as caught whatever they are, and an out-of-KB ticket escalated for another
      // reason (language mismatch, a keyword) is caught already.
      const point = (o: TicketOutcome, caughtAnyway = false) => ({
        sim: o.bestRetrievalScore ?? 0,
        cov: o.coverage ?? 1,
        fixed: o.unmentioned.length > 0 || (caughtAnyway && o.reasons.some((r) => r !== 'low_retrieval')),
      })
      const keepPoints = answerable.map((o) => point(o))
      const escalatePoints = outOfKb.map((o) => point(o, true))
      const budget = options.escalationBudget ?? DEFAULT_ESCALATION_BUDGET
      const joint = jointCutForBudget(keepPoints, escalatePoints, budget)
      // Fitted to these tickets, the pair sits on the budget's edge in sample: what it escalates of tickets
      // it was not fitted on, and the pair fitted to a smaller budget that keeps this one out of sample.
      const jointCrossValidated = crossValidatedCut(keepPoints, escalatePoints, budget)
      const held = budgetHoldingOutOfSample(keepPoints, escalatePoints, budget)
      const heldCut = held && jointCutForBudget(keepPoints, escalatePoints, held.inSample)
      const simOnly = thresholdForBudget(keep, escalate, budget)
      const cut = joint ?? (simOnly && { ...simOnly, minCoverage: 0 })
      const expected = configured.expectedRelevance
        .filter((x): x is number => x !== null)
        .sort((a, b) => a - b)
      const minSourceScore = expected.length
        ? Math.floor(expected[Math.floor(SOURCE_SCORE_QUANTILE * expected.length)]! * 1000) / 1000
        : 0
      const date = new Date().toISOString().slice(0, 10)
      const candidate: Calibration = {
        id: `${ai.name}/${ai.embedModel}@${date}`,
        space: { provider: ai.name, model: ai.embedModel },
        calibrated: true,
        lowRetrievalThreshold: cut?.threshold ?? 0.5,
        minCoverage: cut?.minCoverage ?? 0,
        minSourceScore: Math.min(minSourceScore, cut?.threshold ?? minSourceScore),
        confidenceMap: [
          [0, 0],
          [100, 1],
        ],
        evalReliability: [],
        derivedFrom: `npm run eval, ${date}, ${tickets.length} tickets, ${articles.length} articles`,
      }
      useCandidateCalibrations([candidate])
      try {
        const activeDefault = await app.rt.deps.sql<{ id: number }[]>`
          SELECT id FROM prompt_versions WHERE tenant_id IS NULL AND is_default LIMIT 1`
        if ((options.prompts ?? []).length > 0 && activeDefault[0]) {
          // Back to the default prompt, so the fit measures what the shipped prompt does.
          await app.rt.deps.sql`UPDATE prompt_versions SET is_active = false WHERE tenant_id = ${t.id}`
        }
        await redraftAll()
        const fitRound = await nextRound('fit (suggested thresholds, raw confidence)')
        const points = fitRound.outcomes.map((o) => ({ x: o.confidenceRaw, right: o.right }))
        const map = fitIsotonic(points).map(
          ([x, p]) => [Math.round(x * 100) / 100, Math.round(p * 1000) / 1000] as [number, number],
        )
        const mapped = fitRound.outcomes.map((o) => ({
          ...o,
          confidence: Math.round(100 * readMap(map, o.confidenceRaw)),
        }))
        const mappedMetrics = roundMetrics(tickets, mapped)
        const cv = crossValidated(points)
        const bins: ReliabilityBin[] = mappedMetrics.confidence.reliability.map((b) => ({
          ...b,
          min: Math.round(b.min * 100),
          max: Math.round(b.max * 100),
          meanConfidence: b.meanConfidence === null ? null : Math.round(b.meanConfidence * 1000) / 10,
        }))
        suggestedCalibration = {
          ...candidate,
          confidenceMap: map,
          evalReliability: bins,
          crossValidated: {
            answerableEscalated: jointCrossValidated?.keepEscalated ?? null,
            unanswerableCaught: jointCrossValidated?.escalateCaught ?? null,
            ece: ece(cv),
          },
          fit: {
            threshold: {
              answerableEscalated: cut?.keepEscalated ?? 0,
              outOfKbCaught: cut?.escalateCaught ?? 0,
              budget,
              crossValidated: jointCrossValidated,
              outOfSample:
                held && heldCut
                  ? {
                      inSampleBudget: held.inSample,
                      threshold: heldCut.threshold,
                      minCoverage: heldCut.minCoverage,
                      crossValidated: held.crossValidated,
                    }
                  : null,
            },
            curve: thresholdCurve(keep, escalate),
            eceInSample: mappedMetrics.confidence.ece,
            eceCrossValidated: ece(cv),
            brierCrossValidated: cv.reduce((s, i) => s + (i.p - (i.right ? 1 : 0)) ** 2, 0) / cv.length,
            metricsWithMap: mappedMetrics,
          },
        }
      } finally {
        useCandidateCalibrations([])
      }
    }

    return {
      generatedAt: new Date().toISOString(),
      command: 'npm run eval',
      dataset: {
        articles: articles.length,
        tickets: tickets.length,
        byLabel: countBy(tickets, (x) => x.label),
        byLanguage: countBy(tickets, (x) => x.language),
      },
      provider: { name: app.rt.deps.ai.name, embedModel: app.rt.deps.ai.embedModel },
      rounds,
      desk,
      suggestedCalibration,
    }
  } finally {
    await app.stop()
  }
}

/** The latest draft of every evaluated ticket created after `since`, judged. */
async function readRound(
  app: TestApp,
  t: TenantFixture,
  tickets: readonly EvalTicket[],
  ticketIds: readonly number[],
  slugById: ReadonlyMap<number, string>,
  since: number,
): Promise<{ round: Omit<Round, 'name'> & { expectedRelevance: Array<number | null> }; maxId: number }> {
  const sql = app.rt.deps.sql
  const rows = await sql<(DraftRow & { id: number })[]>`
    SELECT DISTINCT ON (ticket_id) id, ticket_id, ai_reply AS reply, confidence_score, confidence_raw,
      escalated, escalation_reasons, context_sources, reranked_sources, language, calibration,
      prompt_version_id
    FROM ai_replies WHERE tenant_id = ${t.id} AND id > ${since}
    ORDER BY ticket_id, id DESC`
  const byTicket = new Map(rows.map((r) => [r.ticketId, r]))
  const slug = (s: SourceRow) => (s.articleId === null ? null : (slugById.get(s.articleId) ?? null))
  const outcomes: TicketOutcome[] = []
  const expectedRelevance: Array<number | null> = []
  tickets.forEach((ticket, i) => {
    const row = byTicket.get(ticketIds[i]!)
    if (!row) throw new Error(`ticket ${ticket.id} has no draft in this round`)
    const relevances = row.contextSources.map((s) => s.relevance ?? 0)
    const expected = row.contextSources.filter((s) => ticket.article !== null && slug(s) === ticket.article)
    if (ticket.label === 'answerable')
      expectedRelevance.push(expected.length ? Math.max(...expected.map((s) => s.relevance ?? 0)) : null)
    const draft: DraftRecord = {
      reply: row.reply,
      confidence: row.confidenceScore,
      confidenceRaw: row.confidenceRaw ?? row.confidenceScore,
      escalated: row.escalated,
      reasons: row.escalationReasons,
      candidateSlugs: row.contextSources.map(slug),
      citedSlugs: row.rerankedSources
        .filter((s) => s.cited)
        .map(slug)
        .filter((s): s is string => s !== null),
      bestRetrievalScore: relevances.length ? Math.max(...relevances) : null,
      coverage: row.calibration?.coverage ?? null,
      unmentioned: row.calibration?.unmentioned ?? [],
      expectedRelevance: null,
      language: row.language,
      calibrationId: row.calibration?.id ?? null,
    }
    outcomes.push(judge(ticket, draft))
  })
  const first = rows[0]
  const [pv] = first?.promptVersionId
    ? await sql<{ id: number; version: string; name: string }[]>`
        SELECT id, version, name FROM prompt_versions WHERE id = ${first.promptVersionId}`
    : []
  return {
    round: {
      promptVersion: { id: pv?.id ?? null, version: pv?.version ?? null, name: pv?.name ?? null },
      calibration: first?.calibration ?? null,
      metrics: roundMetrics(tickets, outcomes),
      outcomes,
      expectedRelevance,
    },
    maxId: Math.max(since, ...rows.map((r) => r.id)),
  }
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${Math.round(x * 1000) / 10}%`)
const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3))

function deskLine(d: Omit<DeskReport, 'tickets'>): string {
  const agree = (l: { decided: number; agree: number }) => pct(l.decided ? l.agree / l.decided : null)
  return (
    `${d.splits} splits, ${pct(d.historyShare)} as history: answerable escalated for low retrieval ` +
    `${pct(d.desk.answerableLowRetrieval)}, out-of-KB caught ${pct(d.desk.outOfKbCaught)}, ECE ${num(d.desk.ece)} ` +
    `(adopted in ${d.desk.adoptedSplits} splits; built-in entry, in sample: ${pct(d.builtin.answerableLowRetrieval)}, ` +
    `${pct(d.builtin.outOfKbCaught)}, ${num(d.builtin.ece)}); labels agree with the hand labels: answerable ` +
    `${agree(d.labels.answerable)} of ${d.labels.answerable.decided}, usable vs right ${agree(d.labels.usable)} of ${d.labels.usable.decided}`
  )
}

function summaryLine(m: RoundMetrics): string {
  return (
    `hit@1 ${pct(m.retrieval.hitAt1)}, hit@3 ${pct(m.retrieval.hitAt3)}, cited ${pct(m.citations.expectedCited)}, ` +
    `right ${pct(m.citations.right)}, answerable low-retrieval ${pct(m.escalation.answerableLowRetrieval)}, ` +
    `out-of-KB escalated ${pct(m.escalation.outOfKbEscalated)}, ECE ${num(m.confidence.ece)}`
  )
}

/** The report as a Markdown table (what README shows), one column per round. */
export function markdownTable(report: EvalReport): string {
  const rows: Array<[string, (m: RoundMetrics) => string]> = [
    ['retrieval hit@1 (answerable)', (m) => pct(m.retrieval.hitAt1)],
    ['retrieval hit@3 (answerable)', (m) => pct(m.retrieval.hitAt3)],
    ['expected article cited', (m) => pct(m.citations.expectedCited)],
    ['answer facts contained', (m) => pct(m.citations.factsContained)],
    ['right (cited + all facts)', (m) => pct(m.citations.right)],
    ['answerable escalated for low retrieval', (m) => pct(m.escalation.answerableLowRetrieval)],
    ['answerable escalated (any reason)', (m) => pct(m.escalation.answerableEscalated)],
    ['out-of-KB escalated', (m) => pct(m.escalation.outOfKbEscalated)],
    ['must-escalate escalated', (m) => pct(m.escalation.mustEscalateEscalated)],
    ['must-escalate with the expected category', (m) => pct(m.escalation.mustEscalateExpectedCategory)],
    ['escalation precision', (m) => num(m.escalation.precision)],
    ['escalation recall', (m) => num(m.escalation.recall)],
    ['confidence AUROC (raw points)', (m) => num(m.confidence.aurocRaw)],
    ['confidence AUROC (calibrated)', (m) => num(m.confidence.auroc)],
    ['expected calibration error', (m) => num(m.confidence.ece)],
    ['Brier score', (m) => num(m.confidence.brier)],
    ['language detected correctly', (m) => pct(m.language.detected)],
  ]
  const rounds = report.rounds.filter((r) => !r.name.startsWith('fit'))
  const head = `| metric | ${rounds.map((r) => `${r.name} (prompt ${r.promptVersion.version ?? '?'})`).join(' | ')} |`
  const sep = `|---|${rounds.map(() => '---:').join('|')}|`
  return [
    head,
    sep,
    ...rows.map(([label, f]) => `| ${label} | ${rounds.map((r) => f(r.metrics)).join(' | ')} |`),
  ].join('\n')
}

/**
 * Where a run's report goes unless `--out` says: the committed reports in eval/results only when asked
 * (`--update`), so that trying a change never rewrites them; else the git-ignored eval/out. Another tickets
 * file gets its own folder: eval/holdout/tickets.json → <space>-holdout.
 * @internal
 */
export function reportDir(
  provider: { name: string; embedModel: string },
  options: { ticketsFile?: string; update: boolean },
): string {
  const space = `${provider.name}-${provider.embedModel}`.replace(/[^a-z0-9.-]+/gi, '-')
  const folder = options.ticketsFile ? `${space}-${basename(dirname(options.ticketsFile))}` : space
  return join(ROOT, 'eval', options.update ? 'results' : 'out', folder)
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const prompts: Array<Record<string, unknown>> = []
  let out: string | undefined
  let escalationBudget: number | undefined
  let ticketsFile: string | undefined
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--prompt') prompts.push(JSON.parse(readFileSync(args[++i]!, 'utf8')))
    else if (args[i] === '--out') out = args[++i]
    else if (args[i] === '--budget') escalationBudget = Number(args[++i])
    else if (args[i] === '--tickets') ticketsFile = args[++i]
  }
  const report = await runEval({
    ticketsFile,
    prompts,
    escalationBudget,
    fit: !args.includes('--no-fit'),
    desk: !args.includes('--no-desk'),
    log: (l) => console.log(l),
  })
  const dir = out ?? reportDir(report.provider, { ticketsFile, update: args.includes('--update') })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
  const configured = report.rounds[0]!
  writeFileSync(
    join(dir, 'reliability.svg'),
    reliabilitySvg(
      configured.metrics.confidence.reliability,
      `Reliability, ${report.provider.name} / ${report.provider.embedModel}, ${report.dataset.tickets} tickets`,
    ),
  )
  console.log(`\n${markdownTable(report)}\n`)
  const s = report.suggestedCalibration
  if (s) {
    const { fit, ...entry } = s
    console.log(
      `suggested low-retrieval threshold ${s.lowRetrievalThreshold}, min coverage ${s.minCoverage} (answerable escalated ${pct(fit.threshold.answerableEscalated)}, ` +
        `out-of-KB caught ${pct(fit.threshold.outOfKbCaught)}; 5-fold cross-validated: ` +
        `${pct(fit.threshold.crossValidated?.keepEscalated ?? null)} and ${pct(fit.threshold.crossValidated?.escalateCaught ?? null)}), ` +
        `min source score ${s.minSourceScore}; ` +
        (fit.threshold.outOfSample
          ? `to keep the budget out of sample: threshold ${fit.threshold.outOfSample.threshold}, min coverage ` +
            `${fit.threshold.outOfSample.minCoverage} (cross-validated ${pct(fit.threshold.outOfSample.crossValidated.keepEscalated)} ` +
            `and ${pct(fit.threshold.outOfSample.crossValidated.escalateCaught)}; --budget ${Math.ceil(fit.threshold.outOfSample.inSampleBudget * 1000) / 1000}); `
          : '') +
        `ECE with the fitted map ${num(fit.eceInSample)} in sample, ${num(fit.eceCrossValidated)} cross-validated\n` +
        `trade-off (answerable escalated → out-of-KB caught): ${[0.05, 0.1, 0.2, 0.3, 0.5]
          .map((b) => fit.curve.filter((p) => p.keepEscalated <= b + 1e-12).at(-1))
          .filter((p): p is ThresholdPoint => p !== undefined)
          .map((p) => `${p.threshold}: ${pct(p.keepEscalated)} → ${pct(p.escalateCaught)}`)
          .join(', ')}\n` +
        'entry for shared/trust/builtin-calibrations.json (written there with --update):\n' +
        JSON.stringify(entry, null, 2),
    )
  }
  if (args.includes('--update') && s) {
    const file = writeBuiltinCalibration(s)
    console.log(`\nwrote the ${s.space.provider}/${s.space.model} entry to ${file}`)
  }
  console.log(`\nreport: ${join(dir, 'report.json')}\ndiagram: ${join(dir, 'reliability.svg')}`)
}

/**
 * `--update`: the suggested entry replaces the one of its scoring space in shared/trust/builtin-calibrations.json,
 * the one file the code reads its built-in calibrations from (shared/trust/calibration.ts).
 */
function writeBuiltinCalibration(suggested: NonNullable<EvalReport['suggestedCalibration']>): string {
  const file = join(ROOT, 'shared', 'trust', 'builtin-calibrations.json')
  const { fit: _fit, ...entry } = suggested
  const entries = JSON.parse(readFileSync(file, 'utf8')) as Calibration[]
  const same = (c: Calibration) =>
    c.space.provider === entry.space.provider && c.space.model === entry.space.model
  const next = entries.some(same) ? entries.map((c) => (same(c) ? entry : c)) : [...entries, entry]
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`)
  return file
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
