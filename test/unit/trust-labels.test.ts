import { describe, expect, it } from 'vitest'
import {
  extractFacts,
  factFound,
  labelSample,
  matchText,
  nameCandidates,
  numberKey,
} from '#shared/trust/labels'

const kinds = (facts: ReturnType<typeof extractFacts>) => facts.map((f) => `${f.kind}:${f.text}`)

describe('Function: extractFacts', () => {
  it('takes numbers with units, prices, ports, menu paths and addresses from a staff reply', () => {
    // Prepare
    const core =
      'Open cPanel → Files → JetBackup 5 → File Backups, pick the date and click Restore. Backups are kept ' +
      'for 14 days; a restore by our team costs $15 after the first one. IMAP runs on port 993, see ' +
      'https://docs.example-host.com/mail for details.'

    // Act
    const facts = extractFacts(core, { question: 'How do I get my gallery folder back?', english: true })

    // Assess
    expect(kinds(facts)).toEqual(
      expect.arrayContaining([
        'path:cPanel → Files → JetBackup 5 → File Backups',
        'number:14 days',
        'number:$15',
        'number:993',
        'address:https://docs.example-host.com/mail',
      ]),
    )
    expect(facts.find((f) => f.text === '14 days')?.key).toBe('14@day')
  })

  it('leaves out what the customer wrote themselves: their amounts, their domain, a single digit', () => {
    // Prepare
    const question = 'You charged $95.40 for shop.example.org, I have 2 sites'
    const core =
      'I have refunded the $95.40 to your card; shop.example.org stays online. It takes 5 business days.'

    // Act
    const facts = extractFacts(core, { question, english: true })

    // Assess
    expect(kinds(facts)).toEqual(['number:5 business'])
  })

  it('keeps a name only when the KB spells it or it is not everyday English, and marks names the customer used', () => {
    // Prepare
    const core =
      'Click Request Cancellation in the client area. DNSSEC is not available on Northwind Nameservers.'
    const question = 'Can I turn on DNSSEC?'

    // Act
    const facts = extractFacts(core, {
      question,
      english: true,
      kbSpells: new Set(['Request Cancellation']),
      nameLexemes: new Map([
        ['DNSSEC', ['dnssec']],
        ['Northwind Nameservers', ['northwind', 'nameserv']],
        ['Request Cancellation', ['request', 'cancel']],
      ]),
    })

    // Assess: "Northwind Nameservers" holds no everyday word only if "nameserv" is not everyday English
    expect(facts.find((f) => f.text === 'Request Cancellation')).toMatchObject({ kind: 'name' })
    expect(facts.find((f) => f.text === 'DNSSEC')).toMatchObject({ kind: 'name', echo: true })
  })

  it('takes no terms or unspelt names from a reply not in English', () => {
    // Prepare
    const core =
      'Öffnen Sie die Datenbank Sicherung unter JetBackup 5 und wählen Sie das Datum von vorgestern.'

    // Act
    const facts = extractFacts(core, {
      question: 'Datenbank zurückspielen',
      english: false,
      replyLexemes: ['datenbank'],
    })

    // Assess
    expect(facts.every((f) => f.kind !== 'term' && f.kind !== 'name')).toBe(true)
  })
})

describe('Function: nameCandidates and numberKey', () => {
  it('finds mixed-case words, acronyms, capitalised runs inside a sentence and quoted options', () => {
    // Act
    const names = nameCandidates(
      'Our servers run AutoSSL and SFTP. Use the Force HTTPS Redirect switch, or tick "Share document root". Thanks Tom',
    )

    // Assess
    expect(names).toEqual(
      expect.arrayContaining(['AutoSSL', 'SFTP', 'Force HTTPS Redirect', 'Share document root']),
    )
    expect(names).not.toContain('Our')
  })

  it('reads thousands separators and decimal commas', () => {
    // Act / Assess
    expect(numberKey('300,000')).toBe('300000')
    expect(numberKey('13,95')).toBe('13.95')
    expect(numberKey('8.3')).toBe('8.3')
  })
})

describe('Function: labelSample', () => {
  const facts = extractFacts(
    'Change the port to 465 or 587 in Outgoing Server, cPanel → Email → Connect Devices.',
    {
      question: 'My iphone cannot send mail',
      english: true,
      kbSpells: new Set(['Outgoing Server']),
    },
  )
  const sources = matchText(
    'Email Accounts → Connect Devices. Port 465 with SSL/TLS, or port 587 with STARTTLS.',
  )

  it('labels a ticket answerable when the sources held most of the facts, and the draft usable when it holds them', () => {
    // Prepare
    const draft = matchText(
      'In cPanel → Email → Connect Devices, use port 465 with SSL/TLS or 587 with STARTTLS [1].',
    )

    // Act
    const labels = labelSample({ facts, sources, draft, sentOutcome: 'replaced', noAnswer: false })

    // Assess
    expect(labels.answerable).toBe(true)
    expect(labels.usable).toBe(true)
    expect(labels.facts.find((f) => f.text === '465')).toMatchObject({ inSources: true, inDraft: true })
  })

  it('labels a ticket unanswerable when the sources lack the facts, and a no-answer draft unusable', () => {
    // Prepare
    const other = matchText('Backups run every night and are kept for 14 days.')

    // Act
    const labels = labelSample({
      facts,
      sources: other,
      draft: other,
      sentOutcome: 'replaced',
      noAnswer: true,
    })

    // Assess
    expect(labels.answerable).toBe(false)
    expect(labels.usable).toBe(false)
  })

  it('leaves a reply without facts undecided, and counts a draft the agent sent as usable', () => {
    // Prepare
    const none = extractFacts('We have fixed it for you.', { question: 'site down', english: true })

    // Act
    const sent = labelSample({
      facts: none,
      sources,
      draft: sources,
      sentOutcome: 'sent_as_drafted',
      noAnswer: false,
    })

    // Assess
    expect(sent).toMatchObject({ answerable: null, usable: true })
  })

  it('drops a name the customer wrote when the sources hold it, and keeps it against the KB when they do not', () => {
    // Prepare
    const echoed = extractFacts('DNSSEC is not available; use Cloudflare Registrar for it.', {
      question: 'How do I turn on DNSSEC?',
      english: true,
      nameLexemes: new Map([
        ['DNSSEC', ['dnssec']],
        ['Cloudflare Registrar', ['cloudflar', 'registrar']],
      ]),
    })
    const about = matchText('Our nameservers are ns1 and ns2; DNSSEC signing is explained below.')
    const silent = matchText('Our nameservers are ns1 and ns2.')

    // Act
    const withIt = labelSample({
      facts: echoed,
      sources: about,
      draft: about,
      sentOutcome: 'replaced',
      noAnswer: false,
    })
    const without = labelSample({
      facts: echoed,
      sources: silent,
      draft: silent,
      sentOutcome: 'replaced',
      noAnswer: false,
    })

    // Assess
    expect(withIt.facts.map((f) => f.text)).not.toContain('DNSSEC')
    expect(without.facts.map((f) => f.text)).toContain('DNSSEC')
    expect(without.answerable).toBe(false)
  })

  it('matches a number with its unit, and a path by its destination and most of the way', () => {
    // Prepare
    const [days] = extractFacts('Kept for 14 days.', { question: '', english: true })
    const [path] = extractFacts('Go to Sie cPanel → Files → Backup Wizard now.', {
      question: '',
      english: false,
    })

    // Act / Assess
    expect(factFound(days!, matchText('Invoices 14 hours before'))).toBe(false)
    expect(factFound(days!, matchText('copies are kept 14 days'))).toBe(true)
    expect(factFound(path!, matchText('Open cPanel → Files → Backup Wizard.'))).toBe(true)
    expect(factFound(path!, matchText('Open cPanel → Files → Backup.'))).toBe(false)
  })
})
