import { describe, expect, it } from 'vitest'
import { PRIORITIES, PUBLIC_TICKET_STATUSES, TICKET_STATUSES } from '../../shared/api/tickets.ts'
import {
  ACTIVE_STATUSES,
  assertTransition,
  canTransition,
  fromWhmcsStatus,
  publicStatus,
  statusesShownAs,
  TICKET_TRANSITIONS,
  TransitionError,
} from '../../shared/tickets/status.ts'

describe('Function: canTransition', () => {
  it('lets every active status escalate', () => {
    // Prepare / Act / Assess
    for (const from of ACTIVE_STATUSES) expect(canTransition(from, 'escalated')).toBe(true)
  })

  it('lets a closed ticket only be reopened', () => {
    // Prepare
    const targets = TICKET_STATUSES.filter((s) => s !== 'closed')

    // Act
    const allowed = targets.filter((to) => canTransition('closed', to))

    // Assess
    expect(allowed).toEqual(['reopened'])
  })

  it('lets an escalated ticket be taken on but not silently reopened as new', () => {
    // Prepare / Act / Assess
    expect(canTransition('escalated', 'in_progress')).toBe(true)
    expect(canTransition('escalated', 'answered')).toBe(true)
    expect(canTransition('escalated', 'open')).toBe(false)
  })

  it('treats the same status as a no-op', () => {
    // Prepare / Act / Assess
    for (const s of TICKET_STATUSES) expect(canTransition(s, s)).toBe(true)
  })

  it('does not answer a closed ticket (a WHMCS sync may: test/e2e/whmcs-webhook.test.ts)', () => {
    // Prepare / Act / Assess
    expect(canTransition('closed', 'answered')).toBe(false)
  })

  it('has a table entry for every status, naming only known statuses', () => {
    // Prepare / Act
    const entries = Object.entries(TICKET_TRANSITIONS)

    // Assess
    expect(entries.map(([from]) => from).sort()).toEqual([...TICKET_STATUSES].sort())
    for (const [, targets] of entries) for (const to of targets) expect(TICKET_STATUSES).toContain(to)
  })
})

describe('Function: assertTransition', () => {
  it('throws a TransitionError with from, to and a 409 status', () => {
    // Prepare
    let error: unknown

    // Act
    try {
      assertTransition('closed', 'escalated')
    } catch (e) {
      error = e
    }

    // Assess
    expect(error).toBeInstanceOf(TransitionError)
    expect(error).toMatchObject({ from: 'closed', to: 'escalated', statusCode: 409, allowed: ['reopened'] })
  })

  it('passes for an allowed transition', () => {
    // Prepare / Act / Assess
    expect(() => assertTransition('open', 'in_progress')).not.toThrow()
  })
})

describe('Function: fromWhmcsStatus', () => {
  it.each([
    ['Open', 'open'],
    ['Answered', 'answered'],
    ['Customer-Reply', 'customer_reply'],
    ['customer reply', 'customer_reply'],
    ['On Hold', 'on_hold'],
    ['In Progress', 'in_progress'],
    ['Closed', 'closed'],
    ['Waiting on Vendor', 'open'],
  ] as const)('maps %s to %s', (whmcs, ours) => {
    // Prepare / Act / Assess
    expect(fromWhmcsStatus(whmcs)).toBe(ours)
  })
})

describe('Constant: PRIORITIES', () => {
  it('knows the four priorities', () => {
    // Prepare / Act / Assess
    expect(PRIORITIES).toEqual(['low', 'medium', 'high', 'urgent'])
  })

  it('shows customers every status but escalated, which reads as open', () => {
    // Act
    const shown = TICKET_STATUSES.map(publicStatus)
    // Assess
    expect(new Set(shown)).toEqual(new Set(PUBLIC_TICKET_STATUSES))
    expect(publicStatus('escalated')).toBe('open')
    expect(PUBLIC_TICKET_STATUSES).not.toContain('escalated')
    expect(statusesShownAs('open')).toEqual(['open', 'escalated'])
    expect(statusesShownAs('escalated')).toEqual([])
    expect(statusesShownAs('closed')).toEqual(['closed'])
  })
})
