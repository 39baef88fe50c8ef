import { Link } from 'react-router'
import type { Draft, Ticket } from '../api/ticket.ts'
import { CitedReply } from './CitedReply.tsx'
import { DecisionBar } from './DecisionBar.tsx'
import { COMPONENT, confidenceWords, REASON, SOURCE_KIND } from './words.ts'

const STATUS: Record<Draft['status'], string> = {
  pending: 'Waiting for review',
  approved: 'Approved',
  rejected: 'Rejected',
  superseded: 'Superseded by a newer draft or reply',
  sent_as_drafted: 'Sent from WHMCS as drafted',
  sent_edited: 'Sent from WHMCS, edited',
  replaced: 'Replaced by the agent’s own reply in WHMCS',
}

/** The newest draft: its state, escalation and confidence in words, the cited reply, its sources. */
export function DraftPanel({ ticket, drafts }: { ticket: Ticket; drafts: Draft[] }) {
  const draft = drafts[0]
  if (!draft) {
    return (
      <>
        <p className="notice">
          {ticket.draftState === 'queued' ? 'A draft is being written…' : 'This ticket has no draft yet.'}
        </p>
        <DecisionBar ticket={ticket} draft={undefined} />
      </>
    )
  }
  return (
    <div className="card">
      <p>
        <span className="badge">{STATUS[draft.status]}</span>{' '}
        {draft.status === 'rejected' && draft.rejectReason && <span>Reason: {draft.rejectReason}</span>}
      </p>
      {ticket.draftState === 'failed' && ticket.draftError && (
        <p className="error">The last drafting attempt failed: {ticket.draftError}</p>
      )}
      <Escalation draft={draft} />
      <CitedReply reply={draft.reply} linkSources />
      <DecisionBar ticket={ticket} draft={draft} />
      <Confidence draft={draft} />
      <Sources draft={draft} />
      {/* Account facts from WHMCS (services, invoices) join here once the draft API carries them. */}
      <p className="muted">
        {draft.provider} · {draft.model} · {draft.latencyMs ?? '—'} ms · made by{' '}
        {draft.trigger === 'regenerate' ? 'Regenerate' : 'the customer’s message'}
      </p>
    </div>
  )
}

function Escalation({ draft }: { draft: Draft }) {
  if (!draft.escalated) return null
  return (
    <div className="notice" style={{ background: 'var(--warn-bg)', borderColor: '#f5c77e' }}>
      <strong>Escalated to a person.</strong>
      <ul aria-label="Escalation reasons">
        {(draft.escalationReasons ?? []).map((r) => (
          <li key={`${r.code}-${r.category ?? ''}-${r.detail ?? ''}`}>
            {REASON[r.code] ?? r.code}
            {r.category ? ` (${r.category})` : ''}
            {r.detail ? `: ${r.detail}` : ''}
          </li>
        ))}
      </ul>
    </div>
  )
}

function Confidence({ draft }: { draft: Draft }) {
  const score = Math.round(draft.confidenceScore)
  const parts = (draft.confidenceBreakdown ?? []).filter((c) => c.points !== 0)
  return (
    <>
      <h3>
        Confidence {score} of 100 <span className="muted">({confidenceWords(score)})</span>
      </h3>
      <ul aria-label="Confidence components">
        {parts.map((c) => (
          <li key={c.component}>
            <strong>{COMPONENT[c.component] ?? c.component}</strong> {c.points > 0 ? '+' : ''}
            {Math.round(c.points)}: {c.detail}
          </li>
        ))}
      </ul>
    </>
  )
}

function Sources({ draft }: { draft: Draft }) {
  const sources = draft.sources ?? []
  if (sources.length === 0) return <p className="muted">No knowledge source was shown to the drafter.</p>
  return (
    <>
      <h3>Sources</h3>
      <ol className="sources" aria-label="Sources">
        {sources.map((s) => (
          <li key={s.ref} id={`source-${s.ref}`} value={s.ref}>
            <strong>{s.title ?? SOURCE_KIND[s.sourceKind] ?? 'Source'}</strong>{' '}
            <span className="muted">
              {SOURCE_KIND[s.sourceKind] ?? s.sourceKind} · score{' '}
              {s.score === null ? '—' : s.score.toFixed(2)}
            </span>{' '}
            {s.cited ? <span className="badge ok">cited</span> : <span className="badge">not cited</span>}{' '}
            {s.articleId !== null && <Link to={`/kb/articles/${s.articleId}`}>Open article</Link>}
            <div className="excerpt">{s.excerpt}</div>
          </li>
        ))}
      </ol>
    </>
  )
}
