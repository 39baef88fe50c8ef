import { describe, expect, it } from 'vitest'
import { extractCitations } from '../../shared/drafting/citations.ts'

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
