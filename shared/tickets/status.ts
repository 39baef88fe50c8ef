/**
 * The ticket status state machine: the union of both seeds' statuses with one explicit transition table.
 *
 * Shape of the table:
 * - every active status can go to `escalated`, `resolved` and `closed`, and to the waiting/working
 *   statuses a support desk moves between (in_progress, answered, pending_customer, on_hold);
 * - a customer writing moves an active ticket to `customer_reply`;
 * - `escalated` is left by a human taking it on (in_progress, answered, ...), never back to `open`;
 * - `resolved` can only be closed or reopened, `closed` only reopened;
 * - staying in the same status is a no-op and always allowed, so a redelivered job or a repeated PATCH
 *   is not an error.
 * WHMCS is the source of truth for its tickets: the status WHMCS reports is taken as is, without this table
 * (whmcs/inbound.ts).
 */
import { type PublicTicketStatus, TICKET_STATUSES, type TicketStatus } from '../api/tickets.ts'

/**
 * The status a customer sees: an escalated ticket is still waiting for support, i.e. `open`; every other
 * status is already public.
 */
export function publicStatus(status: TicketStatus): PublicTicketStatus {
  return status === 'escalated' ? 'open' : status
}

/**
 * The stored statuses a customer's `status` filter matches: those that read as it (`open` also finds
 * escalated tickets; `escalated` finds nothing, as no ticket of theirs shows that status).
 */
export function statusesShownAs(shown: TicketStatus): TicketStatus[] {
  return TICKET_STATUSES.filter((s) => publicStatus(s) === shown)
}

/** Statuses in which the ticket still needs work from someone: all but resolved and closed. */
export const ACTIVE_STATUSES: readonly TicketStatus[] = TICKET_STATUSES.filter(
  (s) => s !== 'resolved' && s !== 'closed',
)

/**
 * Where an active ticket can go: every status but the two entry states (`open`, `reopened`), i.e. the
 * statuses a support desk moves between, escalation and the two ends. Each active row is this list
 * without the status itself; only `in_progress` and `on_hold` may go back to `open` (work stopped before
 * anyone answered).
 */
const FROM_ACTIVE: readonly TicketStatus[] = TICKET_STATUSES.filter((s) => s !== 'open' && s !== 'reopened')

function activeRow(from: TicketStatus, extra: readonly TicketStatus[] = []): readonly TicketStatus[] {
  return [...extra, ...FROM_ACTIVE.filter((to) => to !== from)]
}

/**
 * Allowed `from → to` transitions (excluding the always-allowed same-status no-op).
 * @internal
 */
export const TICKET_TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  open: activeRow('open'),
  in_progress: activeRow('in_progress', ['open']),
  answered: activeRow('answered'),
  customer_reply: activeRow('customer_reply'),
  pending_customer: activeRow('pending_customer'),
  on_hold: activeRow('on_hold', ['open']),
  escalated: activeRow('escalated'),
  resolved: ['closed', 'reopened'],
  closed: ['reopened'],
  reopened: activeRow('reopened'),
}

/** True when `from → to` is allowed (same status always is). */
export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  if (from === to) return true
  return TICKET_TRANSITIONS[from]?.includes(to) ?? false
}

/**
 * An illegal status change. It declares itself a client error (`statusCode` 409, `expose`, `details`), so
 * the HTTP layer answers 409 `conflict` with `{ from, to }` without this module knowing about HTTP.
 * @internal
 */
export class TransitionError extends Error {
  readonly statusCode = 409
  readonly expose = true
  readonly allowed: readonly TicketStatus[]
  readonly details: { from: TicketStatus; to: TicketStatus }
  constructor(
    readonly from: TicketStatus,
    readonly to: TicketStatus,
  ) {
    const allowed = TICKET_TRANSITIONS[from] ?? []
    super(`Ticket cannot go from "${from}" to "${to}" (allowed: ${allowed.join(', ') || 'none'})`)
    this.name = 'TransitionError'
    this.allowed = allowed
    this.details = { from, to }
  }
}

/** Throws {@link TransitionError} unless `from → to` is allowed. */
export function assertTransition(from: TicketStatus, to: TicketStatus): void {
  if (!canTransition(from, to)) throw new TransitionError(from, to)
}

/** WHMCS's built-in ticket statuses, as WHMCS spells them, and their Draftdesk equivalents. */
const WHMCS_STATUS_MAP: Readonly<Record<string, TicketStatus>> = {
  Open: 'open',
  Answered: 'answered',
  'Customer-Reply': 'customer_reply',
  'On Hold': 'on_hold',
  'In Progress': 'in_progress',
  Closed: 'closed',
}

// "Customer-Reply", "customer reply" and "customer_reply" are one status.
const whmcsKey = (status: string): string =>
  status
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
const whmcsLookup = new Map(
  Object.entries(WHMCS_STATUS_MAP).map(([name, status]) => [whmcsKey(name), status]),
)

/**
 * Maps a WHMCS status name ("Customer-Reply", "On Hold", ...) onto ours, ignoring case and separators.
 * WHMCS admins can define custom statuses; those map to `fallback` (default `open`, i.e. needs work),
 * because an unknown status must not hide a ticket from agents.
 */
export function fromWhmcsStatus(status: string, fallback: TicketStatus = 'open'): TicketStatus {
  return whmcsLookup.get(whmcsKey(status)) ?? fallback
}
