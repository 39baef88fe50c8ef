import { describe, expect, it } from 'vitest'
import {
  APPROVED_EXAMPLE_MIN_SIMILARITY,
  classifyApproval,
  SIMILARITY_MAX_CHARS,
  similarityRatio,
  summarizeEdit,
} from '../../shared/review/similarity.ts'

/** `unit` repeated to `size` characters. */
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)

const DRAFT =
  'Hello! You can reset your cPanel password in the client area [1]. Open Services and click Change password. Regards'

describe('Function: similarityRatio', () => {
  it('is 1 for identical texts, ignoring whitespace differences', () => {
    // Prepare / Act / Assess
    expect(similarityRatio('a  b\nc ', 'a b c')).toBe(1)
    expect(similarityRatio('', '')).toBe(1)
  })

  it('is 1 - levenshtein / longer length', () => {
    // Prepare / Act / Assess
    expect(similarityRatio('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 10)
    expect(similarityRatio('abc', '')).toBe(0)
  })

  it('stays exact for long texts whose differences are short: a common start and end cost nothing', () => {
    // Prepare
    const [start, end] = [fill('Restart the server. ', 100_000), fill('Then reload. ', 100_000)]
    // Act / Assess
    expect(similarityRatio(`${start}kitten${end}`, `${start}sitting${end}`)).toBeCloseTo(1 - 3 / 200_007, 12)
  })

  it('compares at most SIMILARITY_MAX_CHARS of long differing parts exactly and counts the rest as changed', () => {
    // Prepare: "abab…" and "baba…" are 2 edits apart; past the cap, the 10,000 extra characters count too.
    const x = `Same start. ${fill('ab', 30_000)} Same end.`
    const y = `Same start. ${fill('ba', 30_000)} Same end.`
    // Act
    const ratio = similarityRatio(x, y)
    // Assess
    expect(SIMILARITY_MAX_CHARS).toBe(20_000)
    expect(ratio).toBeCloseTo(1 - (2 + 10_000) / x.length, 12)
  })
})

describe('Function: summarizeEdit', () => {
  it('lists added and removed sentences, and counts rewordings', () => {
    // Prepare
    const draft = 'Hello. Restart Apache from the panel. Wait 24 hours. Thanks.'
    const final = 'Hello. Restart Apache from the control panel. You can also restart PHP. Thanks.'

    // Act
    const summary = summarizeEdit(draft, final)

    // Assess
    expect(summary).toBe(
      [
        'Added 1 sentence: "You can also restart PHP."',
        'Removed 1 sentence: "Wait 24 hours."',
        'Reworded 1 sentence.',
      ].join('\n'),
    )
  })

  it('says when nothing changed', () => {
    // Prepare / Act / Assess
    expect(summarizeEdit('One. Two.', 'One.\nTwo. ')).toBe('No changes.')
  })

  it('stays short for large rewrites', () => {
    // Prepare
    const final = Array.from(
      { length: 10 },
      (_, i) => `New sentence number ${i} with different content entirely.`,
    ).join(' ')

    // Act
    const summary = summarizeEdit('Short draft.', final)

    // Assess
    expect(summary).toMatch(/^Added 10 sentences: .*; and 7 more\nRemoved 1 sentence: "Short draft."$/)
  })
})

describe('Function: classifyApproval', () => {
  it('treats an approval as is as an unedited approved example', () => {
    // Prepare / Act
    const result = classifyApproval(DRAFT)

    // Assess
    expect(result).toEqual({
      edited: false,
      similarity: 1,
      editDistance: 1,
      kind: 'approved_example',
      isCorrection: false,
      editSummary: null,
    })
  })

  it('keeps a light edit (similarity >= 0.7) as an approved example', () => {
    // Prepare
    const final = DRAFT.replace('Regards', 'Kind regards, Anna')

    // Act
    const result = classifyApproval(DRAFT, final)

    // Assess
    expect(result.edited).toBe(true)
    expect(result.similarity).toBeGreaterThanOrEqual(APPROVED_EXAMPLE_MIN_SIMILARITY)
    expect(result.editDistance).toBe(result.similarity)
    expect(result.kind).toBe('approved_example')
    expect(result.editSummary).toBe('Added 1 sentence: "Kind regards, Anna"\nRemoved 1 sentence: "Regards"')
  })

  it('turns a heavy edit into a correction', () => {
    // Prepare
    const final =
      'Hi, passwords are reset by our team only. Please reply with your domain and we will send a reset link.'

    // Act
    const result = classifyApproval(DRAFT, final)

    // Assess
    expect(result.similarity).toBeLessThan(APPROVED_EXAMPLE_MIN_SIMILARITY)
    expect(result).toMatchObject({ edited: true, kind: 'correction', isCorrection: true })
  })
})
