import { type FormEvent, useState } from 'react'
import { ErrorNote, Field, Loading, Notice, PageHeader } from '../../../components/ui.tsx'
import { ApiError } from '../../../lib/api.ts'
import { formatDateTime, num, percent } from '../../../lib/format.ts'
import {
  type Calibration,
  type ReplayRun,
  useCalibration,
  useCancelReplay,
  useRollback,
  useSaveBudget,
  useStartReplay,
  useUnpin,
} from '../api/calibration.ts'
import { VersionsTable } from './VersionsTable.tsx'

const SOURCE = {
  default: 'the built-in calibration (from the evaluation set)',
  replay: 'fitted on a replay of this desk’s history',
  live: 'refitted on this desk’s reviewed drafts',
} as const

/**
 * The desk's own calibration (issue 28): what is in force and on how many tickets, the newest fit and why it
 * was or was not adopted, a replay of the desk's history with its progress, the budget, and every version
 * with pin and rollback.
 */
export function CalibrationPage() {
  const calibration = useCalibration()
  if (calibration.isPending) return <Loading what="Loading the calibration" />
  if (!calibration.data)
    return <ErrorNote error={calibration.error} prefix="The calibration could not be read" />
  const c = calibration.data
  return (
    <section>
      <PageHeader title="Calibration" />
      <InForce calibration={c} />
      <Replay run={c.run} />
      <BudgetForm budget={c.budget} />
      <h2>Versions</h2>
      <VersionsTable latestFitId={c.latestFit?.id ?? null} />
    </section>
  )
}

function InForce({ calibration: c }: { calibration: Calibration }) {
  const rollback = useRollback()
  const unpin = useUnpin()
  const f = c.inForce
  return (
    <section aria-labelledby="in-force" className="card">
      <h2 id="in-force">In force</h2>
      <p>
        {f.version === null ? 'Built-in' : `Version ${f.version}`}: {SOURCE[f.source]}
        {f.pinned && <span className="badge">Pinned</span>}
        {f.adoptedAt && <span className="muted"> · adopted {formatDateTime(f.adoptedAt)}</span>}
      </p>
      <p className="muted">{f.derivedFrom}</p>
      <dl className="figures">
        <dt>Answerable tickets escalated for low retrieval</dt>
        <dd>{percent(f.crossValidated?.answerableEscalated, 1)}</dd>
        <dt>Questions the KB cannot answer, caught</dt>
        <dd>{percent(f.crossValidated?.unanswerableCaught, 1)}</dd>
        <dt>Calibration error (ECE)</dt>
        <dd>{num(f.crossValidated?.ece, '', 3)}</dd>
        <dt>Tickets it was fitted on</dt>
        <dd>{f.samples?.total ?? '—'}</dd>
      </dl>
      {c.latestFit && !c.latestFit.inForce && (
        <p>
          Newest fit, version {c.latestFit.version}: {c.latestFit.reason}
        </p>
      )}
      <p className="muted">
        {c.live.newOutcomes} reviewed drafts since the last fit; a refit runs after {c.live.refitAfter}.
      </p>
      <ErrorNote error={rollback.error ?? unpin.error} prefix="Not changed" />
      <div className="page-actions">
        <button type="button" onClick={() => rollback.mutate(undefined)} disabled={rollback.isPending}>
          Roll back to the previous calibration
        </button>
        {f.pinned && (
          <button type="button" onClick={() => unpin.mutate(undefined)} disabled={unpin.isPending}>
            Unpin
          </button>
        )}
      </div>
      {rollback.isSuccess && <Notice>Rolled back; the previous calibration is in force and pinned.</Notice>}
    </section>
  )
}

const PHASE = {
  import: 'importing tickets',
  replay: 'drafting in shadow',
  fit: 'fitting',
  finished: 'finished',
}

/** Start a replay of the desk's history, and its progress while it runs (the page polls every 2 s). */
function Replay({ run }: { run: ReplayRun | null }) {
  const start = useStartReplay()
  const cancel = useCancelReplay()
  const [days, setDays] = useState(90)
  const running = run?.status === 'running'
  const submit = (e: FormEvent) => {
    e.preventDefault()
    start.mutate(days)
  }
  return (
    <section aria-labelledby="replay" className="card">
      <h2 id="replay">Replay</h2>
      <p className="muted">
        Drafts the desk’s answered tickets again in shadow, compares each draft with what the agent sent and
        fits the cut-offs and confidence to this desk. Nothing reaches a customer or the review queue.
      </p>
      {run && (
        <div role="status" aria-label="Replay progress">
          <progress max={Math.max(run.total, 1)} value={run.done} aria-label="Tickets replayed" /> {run.done}{' '}
          of {run.total} tickets, {PHASE[run.phase]}
          {run.status === 'done' && ' · Replay finished.'}
          {run.status === 'failed' && ` · Replay failed: ${run.error ?? 'unknown error'}`}
          {run.status === 'cancelled' && ' · Replay cancelled.'}
          {run.errors > 0 && ` · ${run.errors} tickets could not be drafted`}
        </div>
      )}
      <form onSubmit={submit} aria-label="Start a replay">
        <Field
          label="Days of history"
          error={start.error instanceof ApiError ? start.error.fieldMessage('days') : undefined}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              max={365}
              value={days}
              onChange={(e) => setDays(Number(e.target.value))}
            />
          )}
        </Field>
        <ErrorNote error={start.error ?? cancel.error} prefix="Replay" />
        <button type="submit" className="primary" disabled={running || start.isPending}>
          Start a replay
        </button>{' '}
        {running && run && (
          <button type="button" onClick={() => cancel.mutate(run.id)} disabled={cancel.isPending}>
            Cancel the replay
          </button>
        )}
      </form>
    </section>
  )
}

/** The budget: the largest share of answerable tickets the next fit may escalate for low retrieval. */
function BudgetForm({ budget }: { budget: number }) {
  const save = useSaveBudget()
  const [value, setValue] = useState(Math.round(budget * 100))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    save.mutate(value / 100)
  }
  return (
    <form onSubmit={submit} aria-label="Budget" className="card">
      <h2>Budget</h2>
      <Field
        label="Answerable tickets the cut-offs may escalate (%)"
        hint="1 to 50; the next fit (replay or automatic refit) keeps to it"
        error={save.error instanceof ApiError ? save.error.fieldMessage('budget') : undefined}
      >
        {(p) => (
          <input
            {...p}
            type="number"
            min={1}
            max={50}
            value={value}
            onChange={(e) => setValue(Number(e.target.value))}
          />
        )}
      </Field>
      <ErrorNote error={save.error} prefix="Not saved" />
      {save.isSuccess && <Notice>Budget saved.</Notice>}
      <button type="submit" className="primary" disabled={save.isPending}>
        Save budget
      </button>
    </form>
  )
}
