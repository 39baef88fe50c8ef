import { describe, expect, it } from 'vitest'
import {
  draftdeskPriorityToWhmcs,
  draftdeskStatusToWhmcs,
  formatWhmcsDate,
  parseWhmcsDate,
  whmcsPriorityToDraftdesk,
  whmcsStatusToDraftdesk,
} from '#shared/whmcs/mapping'

describe('Function: whmcsStatusToDraftdesk', () => {
  it('maps every built-in WHMCS status, tolerant of case and separators', () => {
    expect(whmcsStatusToDraftdesk('Open')).toBe('open')
    expect(whmcsStatusToDraftdesk('Answered')).toBe('answered')
    expect(whmcsStatusToDraftdesk('Customer-Reply')).toBe('customer_reply')
    expect(whmcsStatusToDraftdesk('On Hold')).toBe('on_hold')
    expect(whmcsStatusToDraftdesk('In Progress')).toBe('in_progress')
    expect(whmcsStatusToDraftdesk('Closed')).toBe('closed')
    expect(whmcsStatusToDraftdesk('customer reply')).toBe('customer_reply')
    expect(whmcsStatusToDraftdesk('on-hold')).toBe('on_hold')
  })

  it('treats unknown (custom) and empty statuses as open', () => {
    expect(whmcsStatusToDraftdesk('Waiting on Datacenter')).toBe('open')
    expect(whmcsStatusToDraftdesk('')).toBe('open')
    expect(whmcsStatusToDraftdesk(undefined)).toBe('open')
  })
})

describe('Function: draftdeskStatusToWhmcs', () => {
  it('round-trips the WHMCS statuses and folds Draftdesk-only ones', () => {
    for (const s of ['Open', 'Answered', 'Customer-Reply', 'On Hold', 'In Progress', 'Closed'] as const) {
      expect(draftdeskStatusToWhmcs(whmcsStatusToDraftdesk(s))).toBe(s)
    }
    expect(draftdeskStatusToWhmcs('resolved')).toBe('Closed')
    expect(draftdeskStatusToWhmcs('reopened')).toBe('Open')
    expect(draftdeskStatusToWhmcs('pending_customer')).toBe('Answered')
    expect(draftdeskStatusToWhmcs('escalated')).toBeNull()
  })
})

describe('Function: priority mapping', () => {
  it('maps Low/Medium/High, keeps Urgent, defaults to medium', () => {
    expect(whmcsPriorityToDraftdesk('Low')).toBe('low')
    expect(whmcsPriorityToDraftdesk('Medium')).toBe('medium')
    expect(whmcsPriorityToDraftdesk('High')).toBe('high')
    expect(whmcsPriorityToDraftdesk('Urgent')).toBe('urgent')
    expect(whmcsPriorityToDraftdesk('Critical')).toBe('medium')
    expect(draftdeskPriorityToWhmcs('low')).toBe('Low')
    expect(draftdeskPriorityToWhmcs('medium')).toBe('Medium')
    expect(draftdeskPriorityToWhmcs('high')).toBe('High')
    expect(draftdeskPriorityToWhmcs('urgent')).toBe('High')
  })
})

describe('Function: parseWhmcsDate', () => {
  it('reads WHMCS dates as UTC', () => {
    expect(parseWhmcsDate('2026-11-20 10:15:00')?.toISOString()).toBe('2026-11-20T10:15:00.000Z')
    expect(parseWhmcsDate('2026-11-20')?.toISOString()).toBe('2026-11-20T00:00:00.000Z')
    expect(formatWhmcsDate(parseWhmcsDate('2026-02-28 23:59:59')!)).toBe('2026-02-28 23:59:59')
  })

  it('returns null for "never", empty and impossible dates', () => {
    expect(parseWhmcsDate('0000-00-00 00:00:00')).toBeNull()
    expect(parseWhmcsDate('')).toBeNull()
    expect(parseWhmcsDate(null)).toBeNull()
    expect(parseWhmcsDate('2026-02-31 10:00:00')).toBeNull()
    expect(parseWhmcsDate('yesterday')).toBeNull()
  })
})
