import { describe, expect, it } from 'vitest'
import {
  brier,
  budgetHoldingOutOfSample,
  crossValidated,
  crossValidatedCut,
  ece,
  fitIsotonic,
  jointCutForBudget,
  readMap,
  reliability,
} from '#shared/trust/fit-metrics'
import { auroc, factsFound, precisionRecall, thresholdCurve, thresholdForBudget } from '../../eval/metrics.ts'

describe('Function: auroc', () => {
  it('is 1 for perfect ranking, 0 for reversed, 0.5 for ties, null for one class', () => {
    // Prepare
    const perfect = [
      { score: 0.9, right: true },
      { score: 0.8, right: true },
      { score: 0.2, right: false },
    ]
    const reversed = perfect.map((p) => ({ ...p, right: !p.right }))
    const tied = [
      { score: 0.5, right: true },
      { score: 0.5, right: false },
    ]

    // Act / Assess
    expect(auroc(perfect)).toBe(1)
    expect(auroc(reversed)).toBe(0)
    expect(auroc(tied)).toBe(0.5)
    expect(auroc([{ score: 1, right: true }])).toBeNull()
  })

  it('matches a hand count of ordered pairs', () => {
    // Prepare: positives 0.8, 0.4; negatives 0.6, 0.1 → pairs won: (0.8>0.6), (0.8>0.1), (0.4>0.1) = 3 of 4
    const items = [
      { score: 0.8, right: true },
      { score: 0.4, right: true },
      { score: 0.6, right: false },
      { score: 0.1, right: false },
    ]

    // Act / Assess
    expect(auroc(items)).toBe(0.75)
  })
})

describe('Function: brier, reliability and ece', () => {
  it('computes the Brier score, bins by confidence and weighs the calibration gap by bin size', () => {
    // Prepare: bin 0.9-1: two drafts at 0.9, one right (gap 0.4); bin 0.1-0.2: two at 0.1, none right (gap 0.1)
    const items = [
      { p: 0.9, right: true },
      { p: 0.9, right: false },
      { p: 0.1, right: false },
      { p: 0.1, right: false },
    ]

    // Act
    const bins = reliability(items)

    // Assess
    expect(brier(items)).toBeCloseTo((0.01 + 0.81 + 0.01 + 0.01) / 4, 10)
    expect(bins).toHaveLength(10)
    expect(bins[9]).toMatchObject({ bucket: '90-100', drafts: 2, accuracy: 0.5 })
    expect(bins[1]).toMatchObject({ drafts: 2, accuracy: 0 })
    expect(bins[1]!.meanConfidence).toBeCloseTo(0.1, 10)
    expect(ece(items)).toBeCloseTo(0.5 * 0.4 + 0.5 * 0.1, 10)
    expect(ece([])).toBeNull()
    expect(reliability([{ p: 1, right: true }])[9]!.drafts).toBe(1)
  })
})

describe('Function: fitIsotonic', () => {
  it('pools violators into a non-decreasing map and shrinks small blocks towards the base rate', () => {
    // Prepare: outcomes 0,1,0,1,1 at x 10..50 — the 1 at 20 and the 0 at 30 violate order and pool
    const points = [10, 20, 30, 40, 50].map((x, i) => ({ x, right: [false, true, false, true, true][i]! }))

    // Act
    const raw = fitIsotonic(points, 0)
    const shrunk = fitIsotonic(points, 1)

    // Assess
    expect(raw).toEqual([
      [10, 0],
      [25, 0.5],
      [40, 1],
      [50, 1],
    ])
    for (let i = 1; i < shrunk.length; i++) expect(shrunk[i]![1]).toBeGreaterThanOrEqual(shrunk[i - 1]![1])
    expect(shrunk[0]![1]).toBeCloseTo(0.6 / 2, 10)
    expect(shrunk.at(-1)![1]).toBeLessThan(1)
  })

  it('reads the map linearly between breakpoints and flat beyond them', () => {
    // Prepare
    const map: Array<[number, number]> = [
      [20, 0.1],
      [60, 0.5],
    ]

    // Act / Assess
    expect(readMap(map, 0)).toBe(0.1)
    expect(readMap(map, 40)).toBeCloseTo(0.3, 10)
    expect(readMap(map, 99)).toBe(0.5)
  })

  it('cross-validates out of fold: a point never predicts itself', () => {
    // Prepare: a lone right draft at a high score among wrong ones cannot be predicted right from the rest
    const points = [
      ...Array.from({ length: 9 }, (_, i) => ({ x: i * 5, right: false })),
      { x: 90, right: true },
    ]

    // Act
    const cv = crossValidated(points, 5, 0)

    // Assess
    expect(cv).toHaveLength(10)
    expect(cv.at(-1)!.p).toBe(0)
  })
})

describe('Function: thresholdForBudget', () => {
  it('picks the highest cut that escalates at most the budget of answerable tickets', () => {
    // Prepare
    const answerable = [0.1, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
    const outOfKb = [0.05, 0.2, 0.35, 0.45]

    // Act
    const curve = thresholdCurve(answerable, outOfKb)
    const ten = thresholdForBudget(answerable, outOfKb, 0.1)
    const none = thresholdForBudget(answerable, outOfKb, 0)

    // Assess
    expect(curve[0]).toEqual({ threshold: 0, keepEscalated: 0, escalateCaught: 0 })
    expect(ten).toEqual({ threshold: 0.25, keepEscalated: 0.1, escalateCaught: 0.5 })
    expect(none).toEqual({ threshold: 0.075, keepEscalated: 0, escalateCaught: 0.25 })
  })
})

describe('Function: precisionRecall and factsFound', () => {
  it('counts the confusion matrix and matches facts case- and accent-insensitively', () => {
    // Prepare
    const decisions = [
      { predicted: true, actual: true },
      { predicted: true, actual: false },
      { predicted: false, actual: true },
      { predicted: false, actual: false },
    ]

    // Act
    const pr = precisionRecall(decisions)
    const facts = factsFound('Changes show within 4 to 24 HOURS, at most 48.', [
      '24 hours',
      '48',
      'Zone Editor',
    ])

    // Assess
    expect(pr).toEqual({ precision: 0.5, recall: 0.5, tp: 1, fp: 1, fn: 1, tn: 1 })
    expect(facts).toEqual({ found: ['24 hours', '48'], missing: ['Zone Editor'] })
  })
})

describe('Function: jointCutForBudget', () => {
  it('picks the similarity and coverage pair that catches most within the budget', () => {
    // Prepare: answerable tickets score high on both; out-of-KB ones low on one or the other
    const keep = [
      { sim: 0.4, cov: 0.5 },
      { sim: 0.35, cov: 0.3 },
      { sim: 0.3, cov: 0.05 },
      { sim: 0.5, cov: 0.6 },
    ]
    const escalate = [
      { sim: 0.1, cov: 0.5 },
      { sim: 0.4, cov: 0.02 },
      { sim: 0.38, cov: 0.2 },
    ]

    // Act
    const none = jointCutForBudget(keep, escalate, 0)
    const one = jointCutForBudget(keep, escalate, 0.25)

    // Assess: with no budget the third out-of-KB ticket stays uncaught; one flagged answerable buys it
    expect(none).toMatchObject({ keepEscalated: 0 })
    expect(none!.escalateCaught).toBeCloseTo(2 / 3)
    expect(one).toMatchObject({ keepEscalated: 0.25, escalateCaught: 1 })
  })

  it('holds fixed what the cut-offs cannot change: a fixed ticket counts as escalated at any cut-off', () => {
    // Prepare: one answerable ticket is escalated anyway (it uses the budget), one out-of-KB one caught anyway
    const keep = [
      { sim: 0.5, cov: 0.5, fixed: true },
      { sim: 0.3, cov: 0.05 },
      { sim: 0.4, cov: 0.4 },
      { sim: 0.45, cov: 0.45 },
    ]
    const escalate = [
      { sim: 0.5, cov: 0.5, fixed: true },
      { sim: 0.1, cov: 0.5 },
    ]

    // Act
    const cut = jointCutForBudget(keep, escalate, 0.25)

    // Assess: the budget is spent on the fixed ticket, so the low-coverage answerable one must stay below
    expect(cut).toMatchObject({ keepEscalated: 0.25, escalateCaught: 1 })
    expect(cut!.minCoverage).toBeLessThanOrEqual(0.05)
    expect(cut!.threshold).toBeGreaterThan(0.1)
    expect(cut!.threshold).toBeLessThanOrEqual(0.3)
  })
})

describe('Function: crossValidatedCut and budgetHoldingOutOfSample', () => {
  // Twenty answerable and twenty out-of-KB tickets whose coverage overlaps (drawn at random once): the
  // pair fitted to all of them escalates 10% of the answerable ones, pairs fitted without a fold 20%.
  const point = (cov: number) => ({ sim: 0.5, cov })
  const keep = [
    0.426, 0.291, 0.517, 0.26, 0.294, 0.441, 0.504, 0.452, 0.14, 0.407, 0.505, 0.272, 0.507, 0.146, 0.474,
    0.418, 0.107, 0.574, 0.32, 0.554,
  ].map(point)
  const escalate = [
    0.392, 0.288, 0.143, 0.291, 0.311, 0.271, 0.263, 0.147, 0.102, 0.377, 0.228, 0.084, 0.009, 0.08, 0.433,
    0.424, 0.131, 0.039, 0.009, 0.358,
  ].map(point)

  it('judges each ticket by the pair fitted without its fold', () => {
    // Prepare: well separated, plus one out-of-KB ticket escalated anyway
    const apart = [
      { sim: 0.5, cov: 0.9 },
      { sim: 0.5, cov: 0.8 },
      { sim: 0.5, cov: 0.7 },
    ]
    const low = [
      { sim: 0.5, cov: 0.1 },
      { sim: 0.5, cov: 0.9, fixed: true },
      { sim: 0.5, cov: 0.2 },
    ]

    // Act
    const separated = crossValidatedCut(apart, low, 0, 3)
    const overlapping = crossValidatedCut(keep, escalate, 0.1)

    // Assess
    expect(separated).toEqual({ keepEscalated: 0, escalateCaught: 1 })
    expect(jointCutForBudget(keep, escalate, 0.1)!.keepEscalated).toBe(0.1)
    expect(overlapping!.keepEscalated).toBe(0.2)
  })

  it('fits to the largest in-sample budget whose cross-validated rate keeps the target', () => {
    // Act
    const held = budgetHoldingOutOfSample(keep, escalate, 0.1)!

    // Assess: within the target out of sample, and one ticket more would not be
    expect(held).toMatchObject({ inSample: 0.05, crossValidated: { keepEscalated: 0.05 } })
    expect(crossValidatedCut(keep, escalate, held.inSample + 1 / keep.length)!.keepEscalated).toBeGreaterThan(
      0.1,
    )
    expect(budgetHoldingOutOfSample([], escalate, 0.1)).toBeNull()
  })
})
