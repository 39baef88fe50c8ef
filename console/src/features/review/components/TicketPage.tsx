import { Link, useParams } from 'react-router'
import { ErrorNote, Loading, PageHeader } from '../../../components/ui.tsx'
import { formatDateTime } from '../../../lib/format.ts'
import { CHANNEL } from '../../../lib/words.ts'
import { type Ticket, useDrafts, useTicket } from '../api/ticket.ts'
import { DraftPanel } from './DraftPanel.tsx'

/** One ticket: the thread on the left, the current draft with its sources and the decisions on the right. */
export function TicketPage() {
  const id = Number(useParams().id)
  const ticket = useTicket(id)
  const drafts = useDrafts(id)
  if (!Number.isInteger(id) || id < 1) return <p className="error">There is no ticket at this address.</p>
  if (ticket.isPending) return <Loading what="Loading the ticket" />
  if (!ticket.data) return <ErrorNote error={ticket.error} prefix="The ticket could not be loaded" />
  const t = ticket.data
  return (
    <section>
      <p>
        <Link to="/">← Review queue</Link>
      </p>
      <PageHeader title={`#${t.id} ${t.subject}`}>
        <span className="badge">{t.status.replace(/_/g, ' ')}</span>
        <span className="badge">{t.priority}</span>
        <span className="badge">{CHANNEL[t.source] ?? t.source}</span>
        {t.whmcsTid && <span className="badge">WHMCS #{t.whmcsTid}</span>}
      </PageHeader>
      <div className="ticket-layout">
        <Thread ticket={t} />
        <div>
          <h2>Draft</h2>
          <ErrorNote error={drafts.error} prefix="The drafts could not be loaded" />
          {drafts.isPending ? (
            <Loading what="Loading the draft" />
          ) : (
            <DraftPanel ticket={t} drafts={drafts.data ?? []} />
          )}
        </div>
      </div>
    </section>
  )
}

const ROLE = { user: 'Customer', agent: 'Support', assistant: 'Draftdesk draft', system: 'Note' } as const

function Thread({ ticket }: { ticket: Ticket }) {
  return (
    <div>
      <h2>Thread</h2>
      <p className="muted">
        {ticket.clientEmail ?? 'No customer email'} · opened {formatDateTime(ticket.createdAt)}
      </p>
      <ol className="thread" aria-label="Messages">
        {ticket.messages
          .filter((m) => m.role !== 'assistant')
          .map((m) => (
            <li key={m.id} className={`message ${m.role}`} style={{ listStyle: 'none' }}>
              <div className="meta">
                {ROLE[m.role]} · {formatDateTime(m.createdAt)}
              </div>
              {m.content}
            </li>
          ))}
      </ol>
    </div>
  )
}
