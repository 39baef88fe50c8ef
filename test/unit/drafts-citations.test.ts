import { describe, expect, it } from 'vitest'
import {
  type CitableSource,
  customerFacingReply,
  extractCitations,
  stripCitationMarkers,
  withoutReferences,
} from '../../shared/text/citations.ts'

describe('Function: extractCitations', () => {
  it('finds single, listed and adjacent citations in order of first use', () => {
    // Prepare
    const reply = 'Open the client area [2]. Then reset it [1, 3]. See also [3][1].'

    // Act
    const result = extractCitations(reply, [1, 2, 3])

    // Assess
    expect(result).toEqual({ cited: [2, 1, 3], unknown: [], cleanedReply: reply })
  })

  it('removes unknown references from the text', () => {
    // Prepare
    const reply = 'Restart Apache [9]. Check the logs [1, 7][8] and the panel [2;4].'

    // Act
    const result = extractCitations(reply, [1, 2])

    // Assess
    expect(result.cited).toEqual([1, 2])
    expect(result.unknown).toEqual([9, 7, 8, 4])
    expect(result.cleanedReply).toBe('Restart Apache. Check the logs [1] and the panel [2].')
  })

  it('expands ranges and keeps their valid members', () => {
    // Prepare / Act
    const result = extractCitations('See [1-3] and [2–5].', [1, 2, 3, 4])

    // Assess
    expect(result.cited).toEqual([1, 2, 3, 4])
    expect(result.unknown).toEqual([5])
    expect(result.cleanedReply).toBe('See [1, 2, 3] and [2, 3, 4].')
  })

  it('leaves code indexes and PII placeholders alone', () => {
    // Prepare
    const reply = 'Use items[0] and write to [EMAIL_1] [1].'

    // Act
    const result = extractCitations(reply, [1])

    // Assess
    expect(result).toEqual({ cited: [1], unknown: [], cleanedReply: reply })
  })

  it('returns no citations for a reply without any', () => {
    // Prepare / Act
    const result = extractCitations('Hello, we are checking.', [1, 2])

    // Assess
    expect(result).toEqual({ cited: [], unknown: [], cleanedReply: 'Hello, we are checking.' })
  })
})

describe('Function: extractCitations and duplicate markers', () => {
  it('reads the other spellings models use as citations, and checks them too', () => {
    // Act
    const result = extractCitations('Open cPanel [Source 2]【1】 and save [^7].', [1, 2])

    // Assess
    expect(result).toEqual({ cited: [2, 1], unknown: [7], cleanedReply: 'Open cPanel [2][1] and save.' })
  })

  it('never leaves a duplicate adjacent marker for agents', () => {
    // Act
    const result = extractCitations(
      'Open cPanel [1] [1]. Then Select PHP [2][1] [2] and save [1, 1].',
      [1, 2],
    )

    // Assess
    expect(result.cleanedReply).toBe('Open cPanel [1]. Then Select PHP [2][1] and save [1].')
    expect(result.cited).toEqual([1, 2])
  })
})

const SOURCES: CitableSource[] = [
  {
    ref: 1,
    sourceKind: 'tenant_kb',
    articleId: 10,
    title: 'Changing the PHP version',
    publicUrl: 'https://docs.example.com/php',
  },
  { ref: 2, sourceKind: 'global_kb', articleId: 11, title: 'The ionCube loader' },
  { ref: 3, sourceKind: 'approved_example', articleId: null, title: 'Earlier reply by our team' },
  { ref: 4, sourceKind: 'correction', articleId: null, title: 'Correction by our team' },
  // A second chunk of article 10: one reference for both.
  { ref: 5, sourceKind: 'tenant_kb', articleId: 10, title: 'Changing the PHP version' },
  { ref: 6, sourceKind: 'tenant_kb', articleId: 12, title: 'Bad link', publicUrl: 'javascript:alert(1)' },
]

describe('Function: customerFacingReply', () => {
  it.each([
    ['a single marker', 'Open cPanel [1].', 'Open cPanel.'],
    ['duplicates', 'Open cPanel [1] [1].', 'Open cPanel.'],
    ['adjacent markers', 'Open cPanel [1][3] and save.', 'Open cPanel and save.'],
    ['spaces inside', 'Open cPanel [ 1 ] .', 'Open cPanel.'],
    ['lists and ranges', 'Open cPanel [1, 2]; save [1-2]!', 'Open cPanel; save!'],
    ['a marker that starts a line', '[1] Open cPanel.\n[2] Save.', 'Open cPanel.\nSave.'],
    ['a marker between words', 'Open [1] cPanel.', 'Open cPanel.'],
    ['a footnote marker', 'Open cPanel[^1].', 'Open cPanel.'],
    ['full-width brackets', 'Open cPanel【1†source】 and save ［2］.', 'Open cPanel and save.'],
    ['labelled markers', 'Open cPanel [Source 1] and save [source: 1, 2].', 'Open cPanel and save.'],
  ])('removes %s', (_case, text, body) => {
    // Act
    const reply = customerFacingReply(text, SOURCES.slice(2, 4))

    // Assess
    expect(reply).toBe(body)
  })

  it('lists the cited KB articles 1..n in order of first citation, never the internal sources', () => {
    // Prepare
    const text = 'Enable ionCube [2] [3]. Pick the version [5][1], then save [4] [9].\n\n**Best regards**'

    // Act
    const reply = customerFacingReply(text, SOURCES)

    // Assess
    expect(reply).toBe(
      'Enable ionCube. Pick the version, then save.\n\n**Best regards**\n\nReferences:\n' +
        '1. The ionCube loader\n2. Changing the PHP version — https://docs.example.com/php',
    )
  })

  it('writes the heading in the draft’s language, shows only http(s) URLs and leaves code indexes alone', () => {
    // Act
    const reply = customerFacingReply('Nutzen Sie items[0] [6].', SOURCES, { language: 'de' })

    // Assess
    expect(reply).toBe('Nutzen Sie items[0].\n\nQuellen:\n1. Bad link')
  })

  it('is idempotent, and withoutReferences gives back the plain body', () => {
    // Prepare
    const once = customerFacingReply('Open cPanel [1].\n\nThanks!', SOURCES)

    // Act
    const twice = customerFacingReply(once, SOURCES)

    // Assess
    expect(twice).toBe(once)
    expect(withoutReferences(`Hi Anna,\n\n${once}\n\nBest regards,\nJane`)).toBe(
      'Hi Anna,\n\nOpen cPanel.\n\nThanks!\n\nBest regards,\nJane',
    )
    expect(stripCitationMarkers('Write to [EMAIL_1] [2].')).toBe('Write to [EMAIL_1].')
  })
})
