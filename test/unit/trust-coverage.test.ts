import { describe, expect, it } from 'vitest'
import { coverageOf, idf } from '../../shared/trust/coverage.ts'
import { evaluateEscalation } from '../../shared/trust/escalation.ts'
import { isSpecificTerm, questionSentences } from '../../shared/trust/unmentioned.ts'

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

describe('Function: questionSentences', () => {
  it('keeps the sentences that ask, with or without a question mark, and drops the context', () => {
    // Prepare
    const text =
      'I moved from HostGator last week.\nMy 300MB CSV is too big!! Can this be raised on shared hosting? ' +
      'thanks. how do i get it back myself\nWhich plan includes SSH?'

    // Act
    const asked = questionSentences(text)

    // Assess
    expect(asked).toEqual([
      'Can this be raised on shared hosting?',
      'how do i get it back myself',
      'Which plan includes SSH?',
    ])
    expect(questionSentences('My site is down. Please help.')).toEqual([])
  })
})

describe('Function: isSpecificTerm', () => {
  it('counts technical terms, never everyday words, numbers, units or domain names', () => {
    // Assess: lexemes as Postgres english makes them
    expect(isSpecificTerm('api')).toBe(true)
    expect(isSpecificTerm('s3')).toBe(true)
    expect(isSpecificTerm('wildcard')).toBe(true)
    expect(isSpecificTerm('node.js')).toBe(true)
    expect(isSpecificTerm('catch-al')).toBe(true)
    expect(isSpecificTerm('today')).toBe(false)
    expect(isSpecificTerm('holiday')).toBe(false)
    expect(isSpecificTerm('friend')).toBe(false)
    expect(isSpecificTerm('iphon')).toBe(false)
    expect(isSpecificTerm('app')).toBe(false)
    expect(isSpecificTerm('12th')).toBe(false)
    expect(isSpecificTerm('300mb')).toBe(false)
    expect(isSpecificTerm('gb')).toBe(false)
    expect(isSpecificTerm('shop.example.com')).toBe(false)
    expect(isSpecificTerm('bakerybyellie.co.uk')).toBe(false)
    expect(isSpecificTerm('ann@example.org')).toBe(false)
    expect(isSpecificTerm('cpu/ram/process')).toBe(false)
    expect(isSpecificTerm('8.3')).toBe(false)
  })
})

describe('Function: evaluateEscalation (unmentioned terms)', () => {
  it('escalates for low retrieval when the question names a term the sources never mention', () => {
    // Prepare
    const base = {
      subject: 'Backups',
      text: 'Can the nightly backups go to my own S3 bucket?',
      bestRetrievalScore: 0.9,
      coverage: 0.6,
      minCoverage: 0.2,
    }

    // Act
    const unmentioned = evaluateEscalation({ ...base, unmentioned: ['s3'] })
    const none = evaluateEscalation({ ...base, unmentioned: [] })
    const lowCoverage = evaluateEscalation({ ...base, coverage: 0.1, unmentioned: ['s3'] })

    // Assess: one low-retrieval reason at most, naming the terms when they are the cause
    expect(unmentioned.reasons).toEqual([
      {
        code: 'low_retrieval',
        detail: 'The question asks about "s3", which the best sources never mention',
      },
    ])
    expect(none.escalate).toBe(false)
    expect(lowCoverage.reasons).toHaveLength(1)
    expect(lowCoverage.reasons[0]!.detail).toMatch(/^Knowledge coverage 0\.100 .*, among them "s3"$/)
  })
})
