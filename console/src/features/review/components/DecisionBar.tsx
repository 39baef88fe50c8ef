import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react'
import { Link } from 'react-router'
import { ErrorNote, Field, Notice } from '../../../components/ui.tsx'
import { type Draft, type Ticket, useApprove, useRegenerate, useReject } from '../api/ticket.ts'

/** An edit in progress survives a failed save, a reload and a sign-in after an expired session. */
const editKey = (draftId: number) => `draftdesk.edit.${draftId}`

/**
 * *Approve* (as drafted, or after *Edit*), *Reject* with a reason, *Regenerate* (the page updates when the
 * new draft is ready), and *Send to WHMCS* for tickets that came from WHMCS.
 */
export function DecisionBar({ ticket, draft }: { ticket: Ticket; draft: Draft | undefined }) {
  const regen = useRegenerate(ticket.id, draft?.id)
  // Held here: the forms unmount once the draft is decided, and the notice must stay.
  const approve = useApprove(ticket.id)
  const reject = useReject(ticket.id)
  const [rejecting, setRejecting] = useState(false)
  const pending = draft?.status === 'pending'
  // The saved edit goes only once the approval is in: a failed approve keeps it.
  const approvedId = approve.isSuccess ? approve.variables.draftId : undefined
  useEffect(() => {
    if (approvedId !== undefined) sessionStorage.removeItem(editKey(approvedId))
  }, [approvedId])
  return (
    <div>
      {approve.isSuccess && <Decided what="approved" toWhmcs={approve.data.sendToWhmcs} />}
      {reject.isSuccess && <Decided what="rejected" />}
      {pending ? (
        <ApproveForm
          ticket={ticket}
          draft={draft}
          approve={approve}
          extra={
            <>
              <button
                type="button"
                className="danger"
                onClick={() => setRejecting(!rejecting)}
                aria-expanded={rejecting}
              >
                Reject…
              </button>
              <RegenerateButton regen={regen} />
            </>
          }
        />
      ) : (
        <div className="actions">
          <RegenerateButton regen={regen} />
        </div>
      )}
      {pending && rejecting && (
        <RejectForm draft={draft} reject={reject} onDone={() => setRejecting(false)} />
      )}
      <RegenerateStatus regen={regen} />
    </div>
  )
}

interface ApproveProps {
  ticket: Ticket
  draft: Draft
  extra: ReactNode
  approve: ReturnType<typeof useApprove>
}

function ApproveForm({ ticket, draft, extra, approve }: ApproveProps) {
  const [editing, setEditing] = useState(() => sessionStorage.getItem(editKey(draft.id)))
  const [sendToWhmcs, setSendToWhmcs] = useState(ticket.whmcsTicketId !== null)
  const edit = (text: string | null) => {
    setEditing(text)
    if (text === null) sessionStorage.removeItem(editKey(draft.id))
    else sessionStorage.setItem(editKey(draft.id), text)
  }
  const onApprove = (e: FormEvent) => {
    e.preventDefault()
    const finalReply = editing !== null && editing.trim() !== draft.reply.trim() ? editing : undefined
    // The saved edit goes only once the approval is in: a failed approve keeps it.
    approve.mutate(
      { draftId: draft.id, finalReply, sendToWhmcs },
      { onSettled: (_, error) => !error && edit(null) },
    )
  }
  return (
    <form onSubmit={onApprove} aria-label="Approve the draft">
      {editing !== null && (
        <Field label="Reply to approve" hint="Keep the [n] markers where a sentence uses a source.">
          {(p) => <textarea {...p} value={editing} onChange={(e) => edit(e.target.value)} rows={10} />}
        </Field>
      )}
      {ticket.whmcsTicketId !== null && (
        <label>
          <input type="checkbox" checked={sendToWhmcs} onChange={(e) => setSendToWhmcs(e.target.checked)} />{' '}
          Send to WHMCS
        </label>
      )}
      <ErrorNote error={approve.error} prefix="Not approved" />
      <div className="actions">
        <button type="submit" className="primary" disabled={approve.isPending}>
          {approve.isPending ? 'Approving…' : 'Approve'}
        </button>
        {editing === null ? (
          <button type="button" onClick={() => edit(draft.reply)}>
            Edit
          </button>
        ) : (
          <button type="button" onClick={() => edit(null)}>
            Discard edits
          </button>
        )}
        {extra}
      </div>
    </form>
  )
}

interface DecidedProps {
  what: 'approved' | 'rejected'
  toWhmcs?: boolean
}

/** Shown after a decision made on this page, until the page reloads. */
function Decided({ what, toWhmcs }: DecidedProps) {
  return what === 'approved' ? (
    <Notice>
      Approved{toWhmcs ? ' and queued for WHMCS' : ''}. <Link to="/">Next in the queue</Link>
    </Notice>
  ) : (
    <Notice>Rejected. Regenerate for a new draft, or answer the customer yourself.</Notice>
  )
}

interface RejectProps {
  draft: Draft
  reject: ReturnType<typeof useReject>
  onDone: () => void
}

function RejectForm({ draft, reject, onDone }: RejectProps) {
  const [reason, setReason] = useState('')
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => input.current?.focus(), [])
  const onReject = (e: FormEvent) => {
    e.preventDefault()
    if (reason.trim()) reject.mutate({ draftId: draft.id, reason: reason.trim() }, { onSuccess: onDone })
  }
  return (
    <form onSubmit={onReject} aria-label="Reject the draft">
      <Field label="Reason for rejecting" hint="Shown in analytics, e.g. wrong price or outdated steps">
        {(p) => (
          <input
            {...p}
            ref={input}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            required
            maxLength={2000}
          />
        )}
      </Field>
      <ErrorNote error={reject.error} prefix="Not rejected" />
      <button type="submit" className="danger" disabled={reject.isPending}>
        Reject
      </button>
    </form>
  )
}

type Regen = ReturnType<typeof useRegenerate>

function RegenerateButton({ regen }: { regen: Regen }) {
  return (
    <button type="button" onClick={regen.regenerate} disabled={regen.pending || regen.state === 'waiting'}>
      {regen.state === 'waiting' ? 'Regenerating…' : 'Regenerate'}
    </button>
  )
}

function RegenerateStatus({ regen }: { regen: Regen }) {
  const text = {
    idle: null,
    waiting: 'A new draft is being written; this page updates when it is ready.',
    ready: 'The new draft is ready.',
    failed: 'Drafting failed; see the error above and try again.',
    timeout: 'The new draft is not ready yet. Reload the page later.',
  }[regen.state]
  return (
    <>
      <ErrorNote error={regen.error} prefix="Not regenerated" />
      {text && <Notice>{text}</Notice>}
    </>
  )
}
