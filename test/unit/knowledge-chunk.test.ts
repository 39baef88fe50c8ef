import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { chunkDocument, normaliseForHash } from '#shared/knowledge/chunk'
import { estimateTokens } from '#shared/text/words'

/** A paragraph of `n` distinct sentences of ~13 words each (~17 tokens). */
const paragraph = (n: number, tag: string) =>
  Array.from(
    { length: n },
    (_, i) => `Sentence ${i + 1} of ${tag} explains one more detail about the hosting setup.`,
  ).join(' ')

const article = {
  title: 'Email setup',
  content: [
    '# Email setup',
    'Which clients we support.',
    '## Outlook',
    paragraph(30, 'A'),
    paragraph(30, 'B'),
    '```\n# not a heading\n\nstill code\n```',
    '### IMAP',
    'Use port 993 with SSL.',
    '## Empty section',
    '## Thunderbird',
    paragraph(10, 'C'),
  ].join('\n\n'),
}

describe('Function: estimateTokens', () => {
  it('takes the larger of words × 1.3 and characters ÷ 4', () => {
    // Assess
    expect(estimateTokens('one two three four five six seven eight nine ten')).toBe(13)
    expect(estimateTokens('x'.repeat(400))).toBe(100)
  })
})

describe('Function: chunkDocument', () => {
  it('splits on headings, prefixes the title path, and skips empty sections', () => {
    // Act
    const chunks = chunkDocument(article)

    // Assess
    expect(chunks.map((c) => c.heading)).toEqual([
      null,
      'Outlook',
      'Outlook',
      'Outlook',
      'Outlook › IMAP',
      'Thunderbird',
    ])
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5])
    expect(chunks[0]?.text).toBe('Email setup\n\nWhich clients we support.')
    expect(chunks[4]?.text).toBe('Email setup › Outlook › IMAP\n\nUse port 993 with SSL.')
    expect(chunks.every((c) => c.text.startsWith('Email setup'))).toBe(true)
  })

  it('keeps fenced code whole and does not read headings inside it', () => {
    // Act
    const chunks = chunkDocument(article)

    // Assess
    expect(chunks.some((c) => c.heading?.includes('not a heading'))).toBe(false)
    expect(chunks[3]?.text).toContain('```\n# not a heading\n\nstill code\n```')
  })

  it('packs chunks to about the target size and never over the maximum', () => {
    // Act
    const chunks = chunkDocument(article)

    // Assess
    const outlook = chunks.filter((c) => c.heading === 'Outlook')
    for (const c of outlook.slice(0, -1)) expect(c.tokens).toBeGreaterThanOrEqual(300)
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(500)
      expect(c.tokens).toBe(estimateTokens(c.text))
    }
  })

  it('overlaps consecutive chunks of one section by whole trailing sentences', () => {
    // Act
    const outlook = chunkDocument(article).filter((c) => c.heading === 'Outlook')

    // Assess
    for (let i = 1; i < outlook.length; i++) {
      const previousLast = /Sentence \d+ of [AB][^.]*\.(?=[^.]*$)/.exec(outlook[i - 1]!.text)?.[0]
      const body = outlook[i]!.text.split('\n\n').slice(1).join('\n\n')
      expect(previousLast).toBeDefined()
      expect(body).toContain(previousLast!)
      // The overlap is a tail, not a copy: the new chunk must bring new sentences.
      expect(
        estimateTokens(body.slice(0, body.indexOf(previousLast!) + previousLast!.length)),
      ).toBeLessThanOrEqual(80)
    }
  })

  it('does not overlap across sections', () => {
    // Act
    const chunks = chunkDocument(article)

    // Assess
    expect(chunks.find((c) => c.heading === 'Thunderbird')?.text).not.toContain('of B')
  })

  it('hashes the whitespace-normalised text with SHA-256', () => {
    // Act
    const [first] = chunkDocument(article)
    const [respaced] = chunkDocument({
      ...article,
      content: article.content.replace('clients we', 'clients   we'),
    })

    // Assess
    expect(first?.hash).toBe(createHash('sha256').update(normaliseForHash(first!.text)).digest('hex'))
    expect(first?.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(respaced?.hash).toBe(first?.hash)
  })

  it('is deterministic', () => {
    // Assess
    expect(chunkDocument(article)).toEqual(chunkDocument(article))
  })

  it('cuts one huge sentence-less block by words within the maximum', () => {
    // Prepare
    const words = Array.from({ length: 1200 }, (_, i) => `word${i}`).join(' ')

    // Act
    const chunks = chunkDocument(
      { title: 'Log', content: words },
      { targetTokens: 200, maxTokens: 250, overlapTokens: 20 },
    )

    // Assess
    expect(chunks.length).toBeGreaterThan(5)
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(250)
    expect(chunks.at(-1)?.text).toContain('word1199')
    // Word-level overlap when no sentence fits the overlap budget.
    expect(chunks[1]?.text).toContain(chunks[0]!.text.split(' ').at(-1))
  })

  it('turns WHMCS-style HTML into sections and plain text', () => {
    // Act
    const chunks = chunkDocument({
      title: 'Billing',
      content: '<p>Overview &amp; terms.</p><h2>Payment methods</h2><ul><li>Card</li><li>PayPal</li></ul>',
    })

    // Assess
    expect(chunks.map((c) => c.text)).toEqual([
      'Billing\n\nOverview & terms.',
      'Billing › Payment methods\n\n- Card\n- PayPal',
    ])
  })

  it('handles Cyrillic and CRLF line endings', () => {
    // Act
    const chunks = chunkDocument({
      title: 'Возврат средств',
      content: '## Условия\r\n\r\nВозврат возможен в течение 30 дней.\r\n',
    })

    // Assess
    expect(chunks).toHaveLength(1)
    expect(chunks[0]).toMatchObject({
      heading: 'Условия',
      text: 'Возврат средств › Условия\n\nВозврат возможен в течение 30 дней.',
    })
  })

  it('returns no chunks for an empty article and rejects impossible options', () => {
    // Assess
    expect(chunkDocument({ title: 'Empty', content: '  \n\n' })).toEqual([])
    expect(() => chunkDocument(article, { targetTokens: 50, overlapTokens: 60 })).toThrow(RangeError)
  })
})
