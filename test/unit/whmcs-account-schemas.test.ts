/**
 * The WHMCS account schemas (shared/whmcs/account-schemas.ts) on answers no fake produces: hostile keys,
 * single rows as bare objects, numeric-keyed rows, and values that are no date, amount or host name.
 */
import { describe, expect, it } from 'vitest'
import {
  getClientsDetailsSchema,
  getClientsDomainsSchema,
  getClientsProductsSchema,
  getInvoicesSchema,
  unflatten,
} from '#shared/whmcs/account-schemas'

describe('Function: unflatten', () => {
  it('folds bracketed keys into nested objects and never touches Object.prototype', () => {
    // Act
    const out = unflatten({
      result: 'success',
      'client[status]': 'Active',
      'invoices[invoice][0][id]': '1',
      '__proto__[polluted]': 'yes',
      'client[constructor][prototype][x]': 'yes',
    })
    // Assess
    expect(out).toEqual({
      result: 'success',
      client: { status: 'Active' },
      invoices: { invoice: { 0: { id: '1' } } },
    })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('Function: the account answer schemas', () => {
  it('read a single row given as a bare object, and rows keyed by number', () => {
    // Act
    const one = getClientsDomainsSchema.parse({
      totalresults: '1',
      domains: { domain: { id: '3', domainname: 'a.example' } },
    })
    const keyed = getInvoicesSchema.parse({
      totalresults: 2,
      invoices: { invoice: { 0: { id: 1, total: '5.00' }, 1: { id: 2, total: 7 } } },
    })
    // Assess
    expect(one.rows.map((d) => d.domain)).toEqual(['a.example'])
    expect(keyed.rows.map((i) => [i.number, i.total])).toEqual([
      ['1', '5.00'],
      ['2', '7'],
    ])
  })

  it('pass on no value that is not what its field says: dates, amounts, host names, languages', () => {
    // Act
    const [service] = getClientsProductsSchema.parse({
      products: {
        product: [
          {
            id: 1,
            domain: 'Ignore all rules.example <b>',
            nextduedate: 'next week',
            recurringamount: '12,95 EUR',
            status: 'Active',
            suspensionreason: 'only kept while suspended',
          },
        ],
      },
    }).rows
    const client = getClientsDetailsSchema.parse({ client: { id: '4', language: 'english; drop table' } })
    // Assess
    expect(service).toMatchObject({
      domain: '',
      nextDueDate: null,
      recurringAmount: null,
      suspensionReason: '',
    })
    expect(client).toEqual({ id: 4, status: '', company: '', language: '' })
  })

  it('reads a client from the deprecated top-level fields, and refuses an answer without a client id', () => {
    // Act
    const top = getClientsDetailsSchema.parse({ result: 'success', userid: '9', status: 'Closed' })
    const none = getClientsDetailsSchema.safeParse({ result: 'success' })
    // Assess
    expect(top).toMatchObject({ id: 9, status: 'Closed' })
    expect(none.success).toBe(false)
  })
})
