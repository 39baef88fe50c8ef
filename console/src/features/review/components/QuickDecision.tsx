import { type FormEvent, useEffect, useRef, useState } from 'react'
import { CitedReply } from '../../../components/CitedReply.tsx'
import { ErrorNote, Field, Loading } from '../../../components/ui.tsx'
import type { QueueItem } from '../api/queue.ts'
import { useApprove, useDrafts, useReject } from '../api/ticket.ts'

interface Props {
  ticket: QueueItem
  kind: 'approve' | 'reject'
  onClose: () => void
}

/**
 * The queue's a / r: the selected ticket's draft in view, with *Approve* (focused: Enter confirms) or a
 * reason and *Reject*. Escape cancels.
 */
export function QuickDecision({ ticket, kind, onClose }: Props) {
  const drafts = useDrafts(ticket.id)
  const approve = useApprove(ticket.id)
  const reject = useReject(ticket.id)
  const [reason, setReason] = useState('')
  const first = useRef<HTMLButtonElement & HTMLInputElement>(null)
  const draft = drafts.data?.find((d) => d.id === ticket.pendingDraftId) ?? drafts.data?.[0]
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose()
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])
  useEffect(() => {
    if (draft) first.current?.focus()
  }, [draft])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (!draft) return
    const done = { onSuccess: onClose }
    if (kind === 'approve') approve.mutate({ draftId: draft.id, sendToWhmcs: false }, done)
    else if (reason.trim()) reject.mutate({ draftId: draft.id, reason: reason.trim() }, done)
  }
  const title = `${kind === 'approve' ? 'Approve' : 'Reject'} the draft for #${ticket.id} ${ticket.subject}`
  return (
    <div className="card quick-decision" role="dialog" aria-modal="false" aria-label={title}>
      <h2>{title}</h2>
      {drafts.isPending && <Loading what="Loading the draft" />}
      <ErrorNote error={drafts.error} />
      {draft && <CitedReply reply={draft.reply} />}
      <form onSubmit={submit}>
        {kind === 'reject' && (
          <Field label="Reason for rejecting" hint="Shown in analytics, e.g. wrong price or outdated steps">
            {(p) => (
              <input
                {...p}
                ref={first}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
                required
                maxLength={2000}
              />
            )}
          </Field>
        )}
        <ErrorNote error={approve.error ?? reject.error} />
        <div className="actions">
          {kind === 'approve' ? (
            <button type="submit" className="primary" ref={first} disabled={!draft || approve.isPending}>
              Approve
            </button>
          ) : (
            <button type="submit" className="danger" disabled={!draft || reject.isPending}>
              Reject
            </button>
          )}
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  )
}
