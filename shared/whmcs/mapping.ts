/**
 * Translation between WHMCS vocabulary and Draftdesk's.
 *
 * WHMCS is the source of truth for its tickets (README), so inbound mapping is total: every WHMCS value
 * maps to something, unknown custom statuses included. Outbound mapping may decline (`null`) where WHMCS
 * has no equivalent, and the caller then leaves the WHMCS field alone. Inbound statuses come from
 * shared/drafting/status.ts (`fromWhmcsStatus`); this module does not keep a second table.
 */
import { fromWhmcsStatus, type Priority, type TicketStatus } from '../drafting/status.ts'

/** WHMCS's built-in ticket statuses. Installations may add custom ones. */
export type WhmcsTicketStatus = 'Open' | 'Answered' | 'Customer-Reply' | 'On Hold' | 'In Progress' | 'Closed'

export type WhmcsPriority = 'Low' | 'Medium' | 'High'

const OUTBOUND_STATUS: Record<TicketStatus, WhmcsTicketStatus | null> = {
  open: 'Open',
  reopened: 'Open',
  in_progress: 'In Progress',
  answered: 'Answered',
  // Waiting on the customer is what WHMCS calls "Answered".
  pending_customer: 'Answered',
  customer_reply: 'Customer-Reply',
  on_hold: 'On Hold',
  resolved: 'Closed',
  closed: 'Closed',
  // Escalation is a Draftdesk review state; staff in WHMCS see it through a ticket note, not a status.
  escalated: null,
}

function normalise(value: string): string {
  return value.toLowerCase().replace(/[\s_-]+/g, '')
}

/**
 * Maps a WHMCS ticket status to Draftdesk's; unknown (custom) statuses count as `open`. Delegates to
 * {@link fromWhmcsStatus}, the one inbound status table, so the webhook, the sync and the state machine agree.
 */
export function whmcsStatusToDraftdesk(status: string | null | undefined): TicketStatus {
  return fromWhmcsStatus(status ?? '')
}

/**
 * Maps a Draftdesk status to the WHMCS status to send with `AddTicketReply`/`UpdateTicket`.
 *
 * @returns `null` when WHMCS has no equivalent and its status should be left unchanged
 */
export function draftdeskStatusToWhmcs(status: TicketStatus): WhmcsTicketStatus | null {
  return OUTBOUND_STATUS[status]
}

/** Maps a WHMCS priority to Draftdesk's; `Urgent` (a common custom value) is kept, unknown is `medium`. */
export function whmcsPriorityToDraftdesk(priority: string | null | undefined): Priority {
  switch (normalise(priority ?? '')) {
    case 'low':
      return 'low'
    case 'high':
      return 'high'
    case 'urgent':
      return 'urgent'
    default:
      return 'medium'
  }
}

/** Maps a Draftdesk priority to WHMCS's; stock WHMCS has no "Urgent", so it becomes `High`. */
export function draftdeskPriorityToWhmcs(priority: Priority): WhmcsPriority {
  switch (priority) {
    case 'low':
      return 'Low'
    case 'medium':
      return 'Medium'
    default:
      return 'High'
  }
}

const WHMCS_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/

/**
 * Parses a WHMCS date (`Y-m-d H:i:s`, server local time, which Draftdesk assumes to be UTC).
 *
 * @returns the instant, or `null` for empty values, WHMCS's `0000-00-00 00:00:00` "never", and garbage
 */
export function parseWhmcsDate(value: string | null | undefined): Date | null {
  const match = WHMCS_DATE_RE.exec((value ?? '').trim())
  if (!match) return null
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match as unknown as string[]
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  if (year === 0 || month === 0 || day === 0) return null
  const date = new Date(Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s)))
  // Date.UTC rolls 2026-02-31 over into March; reject instead of silently moving the date.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null
  return date
}

/** Formats an instant the way WHMCS writes dates (`Y-m-d H:i:s`, UTC). */
export function formatWhmcsDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ')
}
