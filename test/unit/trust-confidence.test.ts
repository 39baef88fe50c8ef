import { describe, expect, it } from 'vitest'
import { type ConfidenceInput, scoreConfidence } from '../../shared/trust/confidence.ts'

const KB = [
  'To reset your cPanel password, log in to the client area, open Services, choose your hosting package and click Change cPanel password.',
  'The cPanel password can be changed in the client area under Services: select the hosting package, then Change password.',
]

const good: ConfidenceInput = {
  retrievalScores: [0.91, 0.84, 0.6],
  sourcesCited: 2,
  sourcesAvailable: 3,
  question: 'How do I reset my cPanel password?',
  reply:
    'Hello! You can reset your cPanel password in the client area [1]. Open Services, choose your hosting package and click Change cPanel password [1][2]. Best regards',
  sourceTexts: KB,
  escalationReasons: [],
}

const sum = (points: number[]): number => points.reduce((a, b) => a + b, 0)

// Deterministic PRNG (mulberry32) so a failing random case can be reproduced.
function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('Function: scoreConfidence', () => {
  it('scores a well-grounded, well-cited draft high', () => {
    // Prepare / Act
    const result = scoreConfidence(good)

    // Assess
    expect(result.score).toBeGreaterThanOrEqual(75)
    expect(sum(result.breakdown.map((c) => c.points))).toBe(result.score)
    expect(result.breakdown.map((c) => c.component)).toEqual([
      'retrieval',
      'agreement',
      'coverage',
      'groundedness',
      'no_citations',
      'escalation_keyword',
      'reply_length',
      'clamp',
    ])
  })

  it('scores a draft the KB does not cover low', () => {
    // Prepare
    const input: ConfidenceInput = {
      retrievalScores: [0.21, 0.18],
      sourcesCited: 0,
      sourcesAvailable: 2,
      question: 'Can you migrate my Exchange mailboxes to Google Workspace?',
      reply: 'Yes, we can migrate your Exchange mailboxes to Google Workspace for free within one hour.',
      sourceTexts: [],
      escalationReasons: [{ code: 'low_retrieval' }],
    }

    // Act
    const result = scoreConfidence(input)

    // Assess
    expect(result.score).toBeLessThan(20)
    expect(result.breakdown.find((c) => c.component === 'no_citations')?.points).toBe(-20)
  })

  it('measures groundedness: invented sentences lower the score', () => {
    // Prepare
    const invented = {
      ...good,
      reply: `${good.reply} We will also refund your last invoice and upgrade your plan to unlimited storage at no cost.`,
    }

    // Act
    const grounded = scoreConfidence(good).breakdown.find((c) => c.component === 'groundedness')!
    const mixed = scoreConfidence(invented).breakdown.find((c) => c.component === 'groundedness')!

    // Assess
    expect(grounded.value).toBe(1)
    expect(mixed.value).toBeLessThan(1)
  })

  it('applies the escalation keyword and length penalties', () => {
    // Prepare
    const input = {
      ...good,
      reply: 'See [1].',
      escalationReasons: [{ code: 'keyword' }, { code: 'urgent_priority' }],
    }

    // Act
    const result = scoreConfidence(input)
    const byName = Object.fromEntries(result.breakdown.map((c) => [c.component, c]))

    // Assess
    expect(byName.escalation_keyword!.points).toBe(-15)
    expect(byName.reply_length!.points).toBeLessThan(0)
    expect(byName.reply_length!.points).toBeGreaterThanOrEqual(-10)
  })

  it('treats sources from the same article as agreeing', () => {
    // Prepare
    const unrelated = ['Backups run nightly at 02:00.', 'Invoices are due on the first of the month.']

    // Act
    const apart = scoreConfidence({ ...good, sourceTexts: unrelated })
    const same = scoreConfidence({ ...good, sourceTexts: unrelated, sourceArticleIds: [7, 7] })

    // Assess
    expect(apart.breakdown[1]!.value).toBe(0)
    expect(same.breakdown[1]!.value).toBe(1)
  })

  it('keeps the breakdown sum equal to the score for many random inputs, within 0..100', () => {
    // Prepare
    const random = prng(20240601)
    const vocabulary =
      'reset password cpanel client area dns domain refund ssl backup php mail server invoice'.split(' ')
    const text = (n: number) =>
      `${Array.from({ length: n }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' ')}.`

    for (let i = 0; i < 500; i++) {
      const cited = Math.floor(random() * 4)
      const input: ConfidenceInput = {
        retrievalScores: Array.from({ length: Math.floor(random() * 6) }, () => random() * 1.4 - 0.2),
        sourcesCited: cited,
        sourcesAvailable: cited + Math.floor(random() * 3),
        question: text(Math.floor(random() * 12)),
        reply: Array.from({ length: Math.floor(random() * 8) }, () =>
          text(3 + Math.floor(random() * 10)),
        ).join(' '),
        sourceTexts: Array.from({ length: cited }, () => text(5 + Math.floor(random() * 30))),
        sourceArticleIds: Array.from({ length: cited }, () => Math.floor(random() * 2)),
        escalationReasons: random() < 0.3 ? [{ code: 'keyword' }] : [],
        replyLength: random() < 0.1 ? Math.floor(random() * 6000) : undefined,
      }

      // Act
      const result = scoreConfidence(input)

      // Assess
      expect(sum(result.breakdown.map((c) => c.points))).toBe(result.score)
      expect(Number.isInteger(result.score)).toBe(true)
      expect(result.score).toBeGreaterThanOrEqual(0)
      expect(result.score).toBeLessThanOrEqual(100)
      for (const c of result.breakdown) {
        expect(c.value).toBeGreaterThanOrEqual(0)
        expect(c.value).toBeLessThanOrEqual(1)
      }
    }
  })

  it('records a clamp component when penalties would push the score below zero', () => {
    // Prepare
    const input: ConfidenceInput = {
      retrievalScores: [],
      sourcesCited: 0,
      sourcesAvailable: 0,
      question: 'Refund?',
      reply: '',
      sourceTexts: [],
      escalationReasons: [{ code: 'keyword' }],
    }

    // Act
    const result = scoreConfidence(input)
    const clamp = result.breakdown.at(-1)!

    // Assess
    expect(result.score).toBe(0)
    expect(clamp).toMatchObject({ component: 'clamp', points: 45, value: 1 })
    expect(sum(result.breakdown.map((c) => c.points))).toBe(0)
  })
})
