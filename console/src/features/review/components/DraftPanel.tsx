import { CitedReply } from '../../../components/CitedReply.tsx'
import { ConfidenceDetails, EscalationReasons, SourceList } from '../../../components/DraftDetails.tsx'
import type { Draft, Ticket } from '../api/ticket.ts'
import { AccountPanel } from './AccountPanel.tsx'
import { DecisionBar } from './DecisionBar.tsx'

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
      {draft.escalated && <EscalationReasons reasons={draft.escalationReasons ?? []} />}
      <CitedReply reply={draft.reply} linkSources />
      <DecisionBar ticket={ticket} draft={draft} />
      <ConfidenceDetails score={draft.confidenceScore} breakdown={draft.confidenceBreakdown ?? []} />
      <SourceList sources={draft.sources ?? []} />
      <AccountPanel account={draft.account} />
      <p className="muted">
        {draft.provider} · {draft.model} · {draft.latencyMs ?? '—'} ms · made by{' '}
        {draft.trigger === 'regenerate' ? 'Regenerate' : 'the customer’s message'}
      </p>
    </div>
  )
}
