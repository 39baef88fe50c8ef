import { describe, expect, it } from 'vitest'
import { evaluateEscalation } from '../../shared/drafting/escalation.ts'
import { coverageOf, idf } from '../../shared/rag/coverage.ts'

describe('Function: coverageOf', () => {
  it('weights a lexeme the KB never mentions above one every chunk mentions', () => {
    // Prepare: "malwar" is in no chunk, "plan" in most of 100
    const rows = [
      { term: 'plan', df: 80, covered: true },
      { term: 'malwar', df: 0, covered: false },
    ]

    // Act
    const coverage = coverageOf(rows, 100)

    // Assess
    expect(idf(0, 100)).toBeGreaterThan(idf(80, 100))
    expect(coverage.score).toBeLessThan(0.05)
    expect(coverage.unknownTerms).toEqual(['malwar'])
    expect(coverage.terms).toBe(2)
  })

  it('is 1 when the passages contain every lexeme, and null without lexemes', () => {
    // Act / Assess
    expect(coverageOf([{ term: 'nameserv', df: 3, covered: true }], 50).score).toBe(1)
    expect(coverageOf([], 50).score).toBeNull()
  })
})

describe('Function: evaluateEscalation (knowledge coverage)', () => {
  it('escalates for low retrieval when coverage is below the cut-off, and not when the check is off', () => {
    // Prepare
    const base = {
      subject: 'Firewall',
      text: 'Does the plan include a web application firewall?',
      bestRetrievalScore: 0.9,
    }

    // Act
    const low = evaluateEscalation({ ...base, coverage: 0.05, minCoverage: 0.2 })
    const off = evaluateEscalation({ ...base, coverage: 0.05, minCoverage: 0 })
    const unmeasured = evaluateEscalation({ ...base, coverage: null, minCoverage: 0.2 })

    // Assess
    expect(low.reasons).toEqual([
      expect.objectContaining({
        code: 'low_retrieval',
        detail: expect.stringContaining('Knowledge coverage'),
      }),
    ])
    expect(off.escalate).toBe(false)
    expect(unmeasured.escalate).toBe(false)
  })
})
