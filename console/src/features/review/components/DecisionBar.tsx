import { type FormEvent, useEffect, useRef, useState } from 'react'
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
  const approve = useApprove(ticket.id)
  const reject = useReject(ticket.id)
  const regen = useRegenerate(ticket.id, draft?.id)
  const [editing, setEditing] = useState(() => (draft ? sessionStorage.getItem(editKey(draft.id)) : null))
  const [reason, setReason] = useState('')
  const [rejecting, setRejecting] = useState(false)
  const [sendToWhmcs, setSendToWhmcs] = useState(ticket.whmcsTicketId !== null)
  const pending = draft?.status === 'pending'
  const reasonInput = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (rejecting) reasonInput.current?.focus()
  }, [rejecting])

  const edit = (text: string | null) => {
    setEditing(text)
    if (!draft) return
    if (text === null) sessionStorage.removeItem(editKey(draft.id))
    else sessionStorage.setItem(editKey(draft.id), text)
  }
  const onApprove = (e: FormEvent) => {
    e.preventDefault()
    if (!draft) return
    const finalReply = editing !== null && editing.trim() !== draft.reply.trim() ? editing : undefined
    approve.mutate({ draftId: draft.id, finalReply, sendToWhmcs }, { onSuccess: () => edit(null) })
  }
  const onReject = (e: FormEvent) => {
    e.preventDefault()
    if (draft && reason.trim())
      reject.mutate({ draftId: draft.id, reason: reason.trim() }, { onSuccess: () => setRejecting(false) })
  }

  return (
    <div>
      {approve.isSuccess && (
        <Notice>
          Approved{approve.data.sendToWhmcs ? ' and queued for WHMCS' : ''}.{' '}
          <Link to="/">Next in the queue</Link>
        </Notice>
      )}
      {reject.isSuccess && (
        <Notice>Rejected. Regenerate for a new draft, or answer the customer yourself.</Notice>
      )}
      {pending && (
        <form onSubmit={onApprove} aria-label="Approve the draft">
          {editing !== null && (
            <Field label="Reply to approve" hint="Keep the [n] markers where a sentence uses a source.">
              {(p) => <textarea {...p} value={editing} onChange={(e) => edit(e.target.value)} rows={10} />}
            </Field>
          )}
          {ticket.whmcsTicketId !== null && (
            <label>
              <input
                type="checkbox"
                checked={sendToWhmcs}
                onChange={(e) => setSendToWhmcs(e.target.checked)}
              />{' '}
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
            <button
              type="button"
              className="danger"
              onClick={() => setRejecting(!rejecting)}
              aria-expanded={rejecting}
            >
              Reject…
            </button>
            <RegenerateButton regen={regen} />
          </div>
        </form>
      )}
      {!pending && (
        <div className="actions">
          <RegenerateButton regen={regen} />
        </div>
      )}
      {pending && rejecting && (
        <form onSubmit={onReject} aria-label="Reject the draft">
          <Field label="Reason for rejecting" hint="Shown in analytics, e.g. wrong price or outdated steps">
            {(p) => (
              <input
                {...p}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                required
                maxLength={2000}
                ref={reasonInput}
              />
            )}
          </Field>
          <ErrorNote error={reject.error} prefix="Not rejected" />
          <button type="submit" className="danger" disabled={reject.isPending}>
            Reject
          </button>
        </form>
      )}
      <RegenerateStatus regen={regen} />
    </div>
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
