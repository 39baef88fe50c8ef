import { useEffect, useState } from 'react'
import type { QueueItem } from '../api/queue.ts'

export interface Decision {
  ticket: QueueItem
  kind: 'approve' | 'reject'
}

/** Keys that are typed into a field are the field's, not shortcuts. */
const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))

/**
 * The queue's keyboard: j / ArrowDown / n next, k / ArrowUp previous, Enter or o opens, a approves the
 * selected draft as drafted and r rejects it (each after a confirmation with the draft in view).
 */
export function useQueueKeys(items: QueueItem[], open: (t: QueueItem) => void) {
  const [selected, setSelected] = useState(0)
  const [decision, setDecision] = useState<Decision | null>(null)
  const index = Math.min(selected, Math.max(items.length - 1, 0))
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (decision || typing(e.target) || e.metaKey || e.ctrlKey || e.altKey) return
      // Enter on a link or button is that control's own.
      if (e.key === 'Enter' && e.target instanceof HTMLElement && ['A', 'BUTTON'].includes(e.target.tagName))
        return
      const ticket = items[index]
      if (['j', 'n', 'ArrowDown'].includes(e.key)) setSelected(Math.min(index + 1, items.length - 1))
      else if (['k', 'ArrowUp'].includes(e.key)) setSelected(Math.max(index - 1, 0))
      else if (ticket && ['Enter', 'o'].includes(e.key)) open(ticket)
      else if (ticket && e.key === 'a') setDecision({ ticket, kind: 'approve' })
      else if (ticket && e.key === 'r') setDecision({ ticket, kind: 'reject' })
      else return
      e.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [items, index, decision, open])
  return { selected: index, select: setSelected, decision, closeDecision: () => setDecision(null) }
}
