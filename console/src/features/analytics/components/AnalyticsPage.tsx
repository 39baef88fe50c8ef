import { useState } from 'react'
import { HorizontalBars, StackedBars } from '../../../components/charts.tsx'
import { ErrorNote, Field, Loading, PageHeader } from '../../../components/ui.tsx'
import { num, percent } from '../../../lib/format.ts'
import { REASON_SHORT } from '../../../lib/words.ts'
import { daysOf, lastDays, type Range, type Summary, useSummary } from '../api/summary.ts'
import { Reliability } from './Reliability.tsx'
import { Versions } from './Versions.tsx'

const USE_SERIES = [
  { name: 'Used as is', color: '#15803d' },
  { name: 'Used edited', color: '#65a30d' },
  { name: 'Replaced', color: '#d97706' },
  { name: 'Rejected', color: '#b91c1c' },
  { name: 'Not decided', color: '#cbd5e1' },
]

/**
 * How drafting works for the desk over a date range: drafts per day and how they were used, by channel and
 * prompt version, escalation reasons, edit similarity, latency, and the reliability diagram of this desk's
 * decisions next to the evaluation set's.
 */
export function AnalyticsPage() {
  const [range, setRange] = useState<Range>(() => lastDays(30))
  const summary = useSummary(range)
  return (
    <section>
      <PageHeader title="Analytics">
        {[7, 30, 90].map((d) => (
          <button type="button" key={d} onClick={() => setRange(lastDays(d))}>
            Last {d} days
          </button>
        ))}
      </PageHeader>
      <div className="filters">
        <Field label="From">
          {(p) => (
            <input
              {...p}
              type="date"
              value={range.from}
              max={range.to}
              onChange={(e) => e.target.value && setRange({ ...range, from: e.target.value })}
            />
          )}
        </Field>
        <Field label="To">
          {(p) => (
            <input
              {...p}
              type="date"
              value={range.to}
              min={range.from}
              onChange={(e) => e.target.value && setRange({ ...range, to: e.target.value })}
            />
          )}
        </Field>
      </div>
      <ErrorNote error={summary.error} prefix="Analytics could not be loaded" />
      {summary.isPending ? (
        <Loading what="Counting" />
      ) : (
        summary.data && <Figures s={summary.data} range={range} />
      )}
    </section>
  )
}

type Counts = { usedAsIs: number; usedEdited: number; replaced: number; rejected: number }
const decided = (c: Counts) => [c.usedAsIs, c.usedEdited, c.replaced, c.rejected]
/** A prompt version's decisions over both channels. */
const bothChannels = (v: Summary['byPromptVersion'][number]) =>
  decided({
    usedAsIs: v.byChannel.api.usedAsIs + v.byChannel.whmcs.usedAsIs,
    usedEdited: v.byChannel.api.usedEdited + v.byChannel.whmcs.usedEdited,
    replaced: v.byChannel.api.replaced + v.byChannel.whmcs.replaced,
    rejected: v.byChannel.api.rejected + v.byChannel.whmcs.rejected,
  })

/** Every day of the range with its drafts by use; days without drafts are zeros. */
function perDay(s: Summary, days: string[]): number[][] {
  const byDay = new Map(s.byDay.map((d) => [d.day, d]))
  return days.map((day) => {
    const d = byDay.get(day)
    if (!d) return [0, 0, 0, 0, 0]
    const used = decided(d)
    return [...used, Math.max(0, d.drafts - used.reduce((a, b) => a + b, 0))]
  })
}

function Figures({ s, range }: { s: Summary; range: Range }) {
  const o = s.overall
  const days = daysOf(range)
  const similarity = o.byChannel.api.similarity.distribution
  return (
    <>
      <Totals s={s} />
      <div className="charts">
        <StackedBars
          title="Drafts per day"
          labels={days.map((d) => d.slice(5))}
          series={USE_SERIES}
          values={perDay(s, days)}
        />
        <HorizontalBars
          title="How drafts were used, by channel"
          labels={['Console / API', 'WHMCS']}
          series={USE_SERIES.slice(0, 4)}
          values={[decided(o.byChannel.api), decided(o.byChannel.whmcs)]}
        />
        <HorizontalBars
          title="How drafts were used, by prompt version"
          labels={s.byPromptVersion.map((v) => v.version ?? 'built-in')}
          series={USE_SERIES.slice(0, 4)}
          values={s.byPromptVersion.map(bothChannels)}
        />
        <HorizontalBars
          title="Escalation reasons"
          labels={o.escalation.byReason.map(
            (r) => (REASON_SHORT[r.code] ?? r.code) + (r.category ? `: ${r.category}` : ''),
          )}
          series={[{ name: 'Drafts', color: '#d97706' }]}
          values={o.escalation.byReason.map((r) => [r.drafts])}
        />
        <StackedBars
          title="Edit similarity of used drafts (1 = unchanged)"
          labels={similarity.map((b) => b.bucket)}
          series={[
            { name: 'Console / API', color: '#1d4ed8' },
            { name: 'WHMCS', color: '#7c3aed' },
          ]}
          values={similarity.map((b, i) => [
            b.count,
            o.byChannel.whmcs.similarity.distribution[i]?.count ?? 0,
          ])}
        />
        <Reliability s={s} />
      </div>
      <Versions s={s} />
    </>
  )
}

function Totals({ s }: { s: Summary }) {
  const o = s.overall
  return (
    <section className="stat-row" aria-label="Totals">
      <Stat label="Drafts" value={String(o.drafts)} />
      <Stat label="Used (approved or sent)" value={percent(o.approvalRate)} />
      <Stat label="Used without edits" value={percent(o.approvedUneditedRate)} />
      <Stat label="Escalated" value={percent(o.escalation.rate)} />
      <Stat label="Mean edit similarity" value={num(o.meanEditSimilarity, '', 2)} />
      <Stat
        label="Latency p50 / p95"
        value={`${num(o.latencyMs.p50, ' ms')} / ${num(o.latencyMs.p95, ' ms')}`}
      />
    </section>
  )
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat">
      {label}
      <b>{value}</b>
    </div>
  )
}
