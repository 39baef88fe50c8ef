import { useMemo, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { ColumnHeads, ErrorNote, Field, Loading, PageHeader } from '../../../components/ui.tsx'
import { waitingFor } from '../../../lib/format.ts'
import { CHANNEL } from '../../../lib/words.ts'
import { type QueueItem, useReviewQueue } from '../api/queue.ts'
import { QuickDecision } from './QuickDecision.tsx'
import { useQueueKeys } from './use-queue-keys.ts'

interface Filters {
  status: string
  channel: string
  prompt: string
}

const ALL = ''
const promptOf = (t: QueueItem) =>
  t.promptVersion ?? (t.promptVersionId ? `#${t.promptVersionId}` : 'built-in')
const distinct = (values: string[]) => [...new Set(values)].sort()

/**
 * The review queue: tickets whose newest draft waits for a decision, escalated first, then by how long the
 * customer has waited; filters by status, channel and prompt version; j/k to move, Enter to open, a to
 * approve as drafted, r to reject.
 */
export function QueuePage() {
  const queue = useReviewQueue()
  const navigate = useNavigate()
  const [filters, setFilters] = useState<Filters>({ status: ALL, channel: ALL, prompt: ALL })
  const all = queue.data ?? []
  const items = useMemo(
    () =>
      all.filter(
        (t) =>
          (!filters.status || t.status === filters.status) &&
          (!filters.channel || t.source === filters.channel) &&
          (!filters.prompt || promptOf(t) === filters.prompt),
      ),
    [all, filters],
  )
  const keys = useQueueKeys(items, (t) => navigate(`/tickets/${t.id}`))

  return (
    <section>
      <PageHeader title="Review queue">
        <span className="muted">
          Keys: <span className="kbd">j</span>/<span className="kbd">k</span> move,{' '}
          <span className="kbd">Enter</span> open, <span className="kbd">a</span> approve,{' '}
          <span className="kbd">r</span> reject
        </span>
      </PageHeader>
      <div className="filters">
        <Select
          label="Status"
          value={filters.status}
          options={distinct(all.map((t) => t.status))}
          onChange={(status) => setFilters({ ...filters, status })}
        />
        <Select
          label="Channel"
          value={filters.channel}
          options={distinct(all.map((t) => t.source))}
          onChange={(channel) => setFilters({ ...filters, channel })}
          label_={(v) => CHANNEL[v] ?? v}
        />
        <Select
          label="Prompt version"
          value={filters.prompt}
          options={distinct(all.map(promptOf))}
          onChange={(prompt) => setFilters({ ...filters, prompt })}
        />
        <span className="muted" role="status">
          {queue.isSuccess ? `${items.length} of ${all.length} waiting` : ''}
        </span>
      </div>
      <ErrorNote error={queue.error} prefix="The queue could not be loaded" />
      {queue.isPending ? (
        <Loading what="Loading the queue" />
      ) : (
        <QueueTable items={items} selected={keys.selected} onSelect={keys.select} />
      )}
      {keys.decision && <QuickDecision {...keys.decision} onClose={keys.closeDecision} />}
    </section>
  )
}

function Select(props: {
  label: string
  value: string
  options: string[]
  onChange: (value: string) => void
  label_?: (value: string) => string
}) {
  return (
    <Field label={props.label}>
      {(p) => (
        <select {...p} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
          <option value={ALL}>All</option>
          {props.options.map((o) => (
            <option key={o} value={o}>
              {props.label_ ? props.label_(o) : o}
            </option>
          ))}
        </select>
      )}
    </Field>
  )
}

function QueueTable({
  items,
  selected,
  onSelect,
}: {
  items: QueueItem[]
  selected: number
  onSelect: (i: number) => void
}) {
  if (items.length === 0) return <p className="notice">Nothing waits for review. New drafts appear here.</p>
  const now = Date.now()
  return (
    <table aria-label="Tickets waiting for review">
      <ColumnHeads names={['Ticket', 'Customer', 'Channel', 'Status', 'Prompt', 'Confidence', 'Waiting']} />
      <tbody>
        {items.map((t, i) => (
          <tr
            key={t.id}
            className={i === selected ? 'selected' : undefined}
            aria-selected={i === selected}
            onClick={() => onSelect(i)}
          >
            <td>
              <Link to={`/tickets/${t.id}`}>
                #{t.id} {t.subject}
              </Link>{' '}
              {t.escalated && <span className="badge escalated">Escalated</span>}
            </td>
            <td>{t.clientEmail ?? '—'}</td>
            <td>{CHANNEL[t.source] ?? t.source}</td>
            <td>{t.status.replace(/_/g, ' ')}</td>
            <td>{promptOf(t)}</td>
            <td>{t.confidence === undefined ? '—' : Math.round(t.confidence)}</td>
            <td>{waitingFor(t.waitingSince ?? t.createdAt, now)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
