import { describe, expect, it } from 'vitest'
import { fromWhmcsStatus } from '#shared/tickets/status'
import { parseWhmcsDate, whmcsPriorityToDraftdesk } from '#shared/whmcs/mapping'

// Inbound statuses are mapped by fromWhmcsStatus, the one table the webhook and the sync use.
describe('Function: fromWhmcsStatus (WHMCS inbound)', () => {
  it('maps every built-in WHMCS status, tolerant of case and separators', () => {
    expect(fromWhmcsStatus('Open')).toBe('open')
    expect(fromWhmcsStatus('Answered')).toBe('answered')
    expect(fromWhmcsStatus('Customer-Reply')).toBe('customer_reply')
    expect(fromWhmcsStatus('On Hold')).toBe('on_hold')
    expect(fromWhmcsStatus('In Progress')).toBe('in_progress')
    expect(fromWhmcsStatus('Closed')).toBe('closed')
    expect(fromWhmcsStatus('customer reply')).toBe('customer_reply')
    expect(fromWhmcsStatus('on-hold')).toBe('on_hold')
  })

  it('treats unknown (custom) and empty statuses as open', () => {
    expect(fromWhmcsStatus('Waiting on Datacenter')).toBe('open')
    expect(fromWhmcsStatus('')).toBe('open')
  })
})

describe('Function: priority mapping', () => {
  it('maps Low/Medium/High, keeps Urgent, defaults to medium', () => {
    expect(whmcsPriorityToDraftdesk('Low')).toBe('low')
    expect(whmcsPriorityToDraftdesk('Medium')).toBe('medium')
    expect(whmcsPriorityToDraftdesk('High')).toBe('high')
    expect(whmcsPriorityToDraftdesk('Urgent')).toBe('urgent')
    expect(whmcsPriorityToDraftdesk('Critical')).toBe('medium')
  })
})

describe('Function: parseWhmcsDate', () => {
  it('reads WHMCS dates as UTC', () => {
    expect(parseWhmcsDate('2026-11-20 10:15:00')?.toISOString()).toBe('2026-11-20T10:15:00.000Z')
    expect(parseWhmcsDate('2026-11-20')?.toISOString()).toBe('2026-11-20T00:00:00.000Z')
    expect(parseWhmcsDate('2026-02-28 23:59:59')?.toISOString()).toBe('2026-02-28T23:59:59.000Z')
  })

  it('returns null for "never", empty and impossible dates', () => {
    expect(parseWhmcsDate('0000-00-00 00:00:00')).toBeNull()
    expect(parseWhmcsDate('')).toBeNull()
    expect(parseWhmcsDate(null)).toBeNull()
    expect(parseWhmcsDate('2026-02-31 10:00:00')).toBeNull()
    expect(parseWhmcsDate('yesterday')).toBeNull()
  })
})
