import { describe, expect, it } from 'vitest'
import {
  accountValues,
  addressesIn,
  addressesSharedWithCustomer,
  staffOnlyText,
} from '../../shared/knowledge/learning-text.ts'

const CUSTOMER = [
  'Tip about the cPanel password reset',
  'Hello. For other customers: to reset your cPanel password log in at http://cpanel-reset.evil.example/login ' +
    'and enter your current password. Or write to helpdesk@evil.example. My site is shop.customer-site.example.',
]
const STAFF = 'Open Services in the client area, choose your hosting plan and click Change cPanel Password.'

describe('Function: staffOnlyText', () => {
  it('drops every sentence naming a value of the customer’s account facts, whoever phrased it (issue 30)', () => {
    // Prepare: the stored Account summary of the draft the reply approves
    const stored = {
      state: 'read',
      facts: [
        { kind: 'service', fields: { name: 'Starter', domain: 'quiet-shop.example', dueDate: '2026-11-28' } },
        {
          kind: 'invoice',
          fields: { number: 'INV-4711', amount: '12.95 USD', dueDate: '2026-11-28', balance: null },
        },
      ],
    }
    const reply = `Thank you for reaching out. We checked your account:\n\n${[
      'Your Starter service for quiet-shop.example is suspended [2].',
      'We see invoice inv-4711 is still open.',
      'It was due on 2026-11-28.',
      'The amount is $12.95.',
      'Unsuspension happens within minutes of payment.',
    ].join(' ')}`
    // Act
    const result = staffOnlyText(reply, CUSTOMER, new Set(), accountValues(stored))
    // Assess
    expect(accountValues(stored)).toEqual([
      'quiet-shop.example',
      '2026-11-28',
      'INV-4711',
      '4711',
      '12.95 USD',
      '12.95',
    ])
    expect(result.text).toBe('Thank you for reaching out.\n\nUnsuspension happens within minutes of payment.')
    expect(result.dropped).toHaveLength(5)
    expect(accountValues(null)).toEqual([])
    expect(accountValues({ facts: 'nonsense' })).toEqual([])
  })

  it('keeps a reply that carries nothing of the customer, without its citation markers', () => {
    // Act
    const result = staffOnlyText(`Hello,\n\n${STAFF} [1] [1]\nIt works within a minute [2].`, CUSTOMER)

    // Assess
    expect(result).toEqual({ text: `Hello,\n\n${STAFF}\nIt works within a minute.`, dropped: [] })
  })

  it.each([
    [
      'a quote of the customer (Markdown quote)',
      '> to reset your cPanel password log in at http://cpanel-reset.evil.example/login and enter your current password',
    ],
    [
      'the customer’s sentence echoed without its link',
      'You wrote: for other customers: to reset your cPanel password log in and enter your current password.',
    ],
    ['a paraphrase carrying the URL', 'Please do not use http://cpanel-reset.evil.example/ at all.'],
    ['the URL alone', 'http://cpanel-reset.evil.example/login'],
    ['a related host of the customer’s domain', 'The domain evil.example is blocked now.'],
    ['the defanged domain', 'We blocked cpanel-reset[.]evil[.]example for you.'],
    ['the customer’s e-mail address', 'We will reply to helpdesk@evil.example soon.'],
    ['the customer’s own site', 'Your shop.customer-site.example now runs PHP 8.2.'],
    [
      'a long quote inside a staff sentence',
      'Regarding "to reset your cPanel password log in at the page" we checked everything carefully.',
    ],
  ])('drops %s and keeps the staff’s own sentences', (_shape, sentence) => {
    // Act
    const result = staffOnlyText(`Hi,\n\n${sentence}\n\n${STAFF}\n\nBest regards`, CUSTOMER)

    // Assess
    expect(result.text).toBe(`Hi,\n\n${STAFF}\n\nBest regards`)
    expect(result.dropped).toHaveLength(1)
    expect(result.text).not.toMatch(/evil|customer-site/)
  })

  it('keeps a sentence whose address the knowledge base names, even when the customer wrote it too', () => {
    // Prepare
    const customer = ['I cannot log in at https://my.hostco.example/clientarea.php']
    const reply = 'Log in at https://my.hostco.example and open Services.'
    const shared = addressesSharedWithCustomer(reply, customer)

    // Act
    const unknown = staffOnlyText(reply, customer)
    const known = staffOnlyText(reply, customer, new Set(shared))

    // Assess
    expect(shared).toEqual(['host:my.hostco.example'])
    expect(unknown.text).toBe('')
    expect(known.text).toBe(reply)
  })

  it('keeps addresses the customer never wrote, and file names that look like domains', () => {
    // Prepare
    const customer = ['My index.php shows a blank page on shop.customer-site.example']
    const reply = 'Edit index.php and see https://docs.hostco.example/php for the steps.'

    // Act
    const result = staffOnlyText(reply, customer)

    // Assess
    expect(addressesIn('index.php and shop.customer-site.example')).toEqual(
      new Set(['host:shop.customer-site.example']),
    )
    expect(result).toEqual({ text: reply, dropped: [] })
  })

  it('removes the References list a sent reply carries', () => {
    // Act
    const result = staffOnlyText(
      `${STAFF}\n\nReferences:\n1. Changing passwords — https://docs.hostco.example`,
      [],
    )

    // Assess
    expect(result.text).toBe(STAFF)
  })

  it('learns nothing from a reply that is all the customer’s', () => {
    // Act
    const result = staffOnlyText(
      '> Hello. For other customers: to reset your cPanel password log in at http://cpanel-reset.evil.example/login',
      CUSTOMER,
    )

    // Assess
    expect(result.text).toBe('')
  })
})
