/**
 * The `calibrate` job (issue 28): one chunk of a replay, or a live refit.
 *
 * A replay run goes through three phases, each chunk its own job: `import` (the history, shared/calibration/
 * history.ts), `replay` (each ticket's first customer message drafted in shadow through the real pipeline,
 * `previewDraft`, without the learning made from that ticket's own replies, and labelled against the staff
 * reply, shared/calibration/labelling.ts) and `fit` (shared/calibration/fitting.ts). A shadow draft is a
 * `calibration_samples` row, never a draft: nothing is pending, sent, learnt or counted.
 *
 * The shadow drafts use the tenant's calibration in force, so they are the drafts the desk would have seen;
 * in a scoring space without any calibration (an Ollama model no entry covers), the fallback's 0.5 would
 * hide every source, so the replay shows the reranked sources whatever their score, and the fit sets the
 * minimum source score to its own similarity cut-off.
 */
import pLimit from 'p-limit'
import type { Db } from '../db/sql.ts'
import type { Deps } from '../deps.ts'
import { previewDraft } from '../drafts/preview.ts'
import { loadRerankingConfig } from '../knowledge/reranking-config.ts'
import { logger } from '../logger.ts'
import type { CalibrateJob } from '../queue/jobs.ts'
import type { ClaimedJob } from '../queue/outbox.ts'
import { plainReply } from '../review/sent-reply.ts'
import { CALIBRATIONS, type Calibration, calibrationFor } from '../trust/calibration.ts'
import { tenantCalibrations } from '../trust/tenant-calibration.ts'
import { WhmcsError } from '../whmcs/client.ts'
import { fitTenant } from './fitting.ts'
import { importApprovedTickets, importWhmcsPage, storeImported } from './history.ts'
import { labelDraft } from './labelling.ts'
import { refitLive } from './live.ts'
import { advanceRun, claimRun, failRun, RunMoved, type RunRow } from './runs.ts'

/**
 * Tickets drafted per job, and at once within it (the default concurrency of a replay; bench/replay.ts).
 * @internal
 */
export const REPLAY_CHUNK = 20
/** @internal */
export const REPLAY_CONCURRENCY = 4

type CalibrateDeps = Pick<Deps, 'sql' | 'ai' | 'config' | 'dataKey'>

/** Handles one `calibrate` job; `lastAttempt`: a failure now ends the run as failed instead of retrying. */
export async function runCalibrationJob(
  deps: CalibrateDeps,
  job: CalibrateJob,
  jobs: ClaimedJob[],
  options: { lastAttempt?: boolean; whmcs?: Parameters<typeof importWhmcsPage>[2] } = {},
): Promise<void> {
  if (job.kind === 'refit') {
    await refitLive(deps, job.tenantId)
    return
  }
  const run = await claimRun(deps.sql, job.tenantId, job.runId, job.jobId)
  if (!run) return
  try {
    if (run.phase === 'import') await importStep(deps, run, jobs, options.whmcs)
    else if (run.phase === 'replay') await replayChunk(deps, run, jobs)
    else await fitStep(deps, run, jobs)
  } catch (error) {
    if (error instanceof RunMoved) return
    const message = error instanceof Error ? error.message : String(error)
    // WHMCS refusing the import is the tenant's to fix; repeating it at once rarely helps.
    if (error instanceof WhmcsError || options.lastAttempt) {
      await failRun(deps.sql, run, error instanceof WhmcsError ? message : 'internal error; replay stopped')
      logger.warn('calibration replay failed', { tenantId: run.tenantId, runId: run.id, error: message })
      return
    }
    throw error
  }
}

async function importStep(
  deps: CalibrateDeps,
  run: RunRow,
  jobs: ClaimedJob[],
  whmcs: Parameters<typeof importWhmcsPage>[2],
): Promise<void> {
  // WHMCS is read before the transaction opens: a transaction never waits on the network.
  const page = run.params.source === 'whmcs' ? await importWhmcsPage(deps, run, whmcs) : null
  await deps.sql.begin(async (tx) => {
    const step = page
      ? await storeImported(tx, run, page.items, page.step)
      : await importApprovedTickets(tx, run)
    await advanceRun(tx, jobs, run, {
      phase: step.complete ? 'replay' : 'import',
      cursor: step.cursor,
      next: true,
    })
  })
}

/** What a shadow draft recorded and how it was labelled, ready to store. */
interface Shadowed {
  id: number
  status: 'done' | 'error'
  error?: string
  values?: Record<string, unknown>
}

async function replayChunk(deps: CalibrateDeps, run: RunRow, jobs: ClaimedJob[]): Promise<void> {
  const pending = await deps.sql<
    { id: number; ticketId: number | null; subject: string; question: string; staffReply: string }[]
  >`
    SELECT id, ticket_id, subject, question, staff_reply FROM calibration_samples
    WHERE run_id = ${run.id} AND tenant_id = ${run.tenantId} AND status = 'pending'
    ORDER BY id LIMIT ${REPLAY_CHUNK}`
  if (pending.length === 0) {
    await deps.sql.begin((tx) => advanceRun(tx, jobs, run, { phase: 'fit', next: true }))
    return
  }
  const table = await replayTable(deps, run.tenantId)
  const limit = pLimit(REPLAY_CONCURRENCY)
  const results = await Promise.all(pending.map((s) => limit(() => shadow(deps, run.tenantId, s, table))))
  // A model or database that fails every ticket is down, not wrong: retry the chunk later, keep nothing.
  if (results.every((r) => r.status === 'error') && pending.length > 1) {
    throw new Error(`every shadow draft of the chunk failed: ${results[0]?.error}`)
  }
  await deps.sql.begin(async (tx) => {
    for (const r of results) await saveSample(tx, run, r)
    await advanceRun(tx, jobs, run, { phase: 'replay', next: true })
  })
}

/** The calibration table shadow drafts apply; undefined = the tenant's own and the built-in ones. */
async function replayTable(
  deps: CalibrateDeps,
  tenantId: number,
): Promise<readonly Calibration[] | undefined> {
  const [own, rerank] = await Promise.all([
    tenantCalibrations(deps.sql, tenantId),
    loadRerankingConfig(deps.sql, tenantId),
  ])
  const space = { provider: deps.ai.name, model: deps.ai.embedModel }
  const inForce = calibrationFor(space, rerank.scoreThreshold, [...own, ...CALIBRATIONS])
  return inForce.calibrated ? undefined : [{ ...inForce, minSourceScore: 0 }]
}

/** Drafts one history ticket in shadow and labels it; a failure is the sample's, not the chunk's. */
async function shadow(
  deps: CalibrateDeps,
  tenantId: number,
  sample: { id: number; ticketId: number | null; subject: string; question: string; staffReply: string },
  table: readonly Calibration[] | undefined,
): Promise<Shadowed> {
  try {
    const question = plainReply(sample.question)
    // No account facts: WHMCS answers with the account as it is today, not as it was when the customer asked,
    // so they would label a past ticket against the wrong services and invoices.
    const preview = await previewDraft(deps, tenantId, {
      question,
      subject: sample.subject || undefined,
      ...(sample.ticketId === null ? {} : { excludeLearningOfTicket: sample.ticketId }),
      ...(table ? { calibrationTable: table } : {}),
    })
    const { ranking, verified, scores } = preview.stages
    const labels = await labelDraft(deps.sql, {
      tenantId,
      question: `${sample.subject}\n${question}`,
      staffReply: sample.staffReply,
      draft: preview.reply,
      sourceChunkIds: ranking.shown.map((s) => s.id),
      noAnswer: verified.noAnswer,
      excludeLearningOfTicket: sample.ticketId,
    })
    return {
      id: sample.id,
      status: 'done',
      values: {
        draft: preview.reply,
        best_similarity: scores.bestRetrievalScore,
        coverage: ranking.coverage,
        unmentioned: ranking.unmentioned,
        confidence_raw: preview.confidenceRaw,
        escalation_reasons: preview.escalationReasons,
        sources: preview.sources.map((s) => ({
          chunkId: s.chunkId,
          articleId: s.articleId,
          title: s.title,
          cited: s.cited,
        })),
        space: ranking.applied.calibration.space,
        language: preview.language,
        answerable: labels.answerable,
        usable: labels.usable,
        facts: labels.facts,
        gap_terms: labels.gapFacts.map((f) => f.text),
        staff_reply: labels.core,
      },
    }
  } catch (error) {
    return { id: sample.id, status: 'error', error: (error as Error).message.slice(0, 500) }
  }
}

/** Stores a shadow draft's signals and labels on its sample (only while it is pending: idempotent). */
async function saveSample(tx: Db, run: Pick<RunRow, 'id' | 'tenantId'>, r: Shadowed): Promise<void> {
  if (r.status === 'error') {
    await tx`
      UPDATE calibration_samples SET status = 'error', error = ${r.error ?? null}
      WHERE id = ${r.id} AND run_id = ${run.id} AND tenant_id = ${run.tenantId} AND status = 'pending'`
    return
  }
  const v = r.values!
  await tx`
    UPDATE calibration_samples SET status = 'done', labelled_at = now(), draft = ${v.draft as string},
      best_similarity = ${v.best_similarity as number | null}, coverage = ${v.coverage as number | null},
      unmentioned = ${tx.json(v.unmentioned as never)}, confidence_raw = ${v.confidence_raw as number},
      escalation_reasons = ${tx.json(v.escalation_reasons as never)}, sources = ${tx.json(v.sources as never)},
      space = ${tx.json(v.space as never)}, language = ${v.language as string},
      answerable = ${v.answerable as boolean | null}, usable = ${v.usable as boolean | null},
      facts = ${tx.json(v.facts as never)}, gap_terms = ${tx.json(v.gap_terms as never)},
      staff_reply = ${v.staff_reply as string}
    WHERE id = ${r.id} AND run_id = ${run.id} AND tenant_id = ${run.tenantId} AND status = 'pending'`
}

async function fitStep(deps: CalibrateDeps, run: RunRow, jobs: ClaimedJob[]): Promise<void> {
  await deps.sql.begin(async (tx) => {
    const fit = await fitTenant(tx, run.tenantId, { source: 'replay', runId: run.id })
    await advanceRun(tx, jobs, run, {
      phase: 'finished',
      next: false,
      finish: { calibrationId: fit?.id ?? null },
    })
  })
}
