/**
 * Translation between WHMCS vocabulary and Draftdesk's.
 *
 * WHMCS is the source of truth for its tickets (README), so inbound mapping is total: every WHMCS value
 * maps to something, unknown custom values included. Draftdesk never writes statuses or priorities back
 * to WHMCS, so there is no outbound mapping. Inbound statuses come from shared/tickets/status.ts
 * (`fromWhmcsStatus`); this module does not keep a second table.
 */
import type { Priority } from '../api/tickets.ts'

function normalise(value: string): string {
  return value.toLowerCase().replace(/[\s_-]+/g, '')
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

/** A message of a WHMCS ticket as Draftdesk stores it: the opening message or one reply. */
export interface WhmcsMessage {
  /** WHMCS reply id as text, or `open-<ticketid>` for the opening message. */
  externalId: string
  role: 'user' | 'agent'
  content: string
  createdAt?: Date | null
  metadata?: Record<string, unknown>
}
