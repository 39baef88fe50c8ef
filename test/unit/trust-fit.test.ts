import { describe, expect, it } from 'vitest'
import { type FitSample, fitCalibration, MIN_SAMPLES } from '#shared/trust/fit'
import { jointCutForBudget, nestedCrossValidatedCut } from '#shared/trust/fit-metrics'

/** A desk's history: answerable tickets with high similarity and coverage, unanswerable ones low. */
function history(n: number, seed = 1): FitSample[] {
  let a = seed
  const rnd = () => {
    a = (a * 16807) % 2147483647
    return a / 2147483647
  }
  return Array.from({ length: n }, (_, i): FitSample => {
    const answerable = i % 3 !== 0
    const raw = Math.round(answerable ? 40 + rnd() * 30 : 10 + rnd() * 30)
    return {
      sim: answerable ? 0.2 + rnd() * 0.3 : 0.05 + rnd() * 0.2,
      cov: answerable ? 0.08 + rnd() * 0.3 : rnd() * 0.12,
      unmentioned: false,
      otherReason: false,
      answerable,
      usable: answerable && rnd() < raw / 80,
      raw,
    }
  })
}

const UNCALIBRATED = {
  lowRetrievalThreshold: 0.5,
  minCoverage: 0,
  confidenceMap: [
    [0, 0],
    [100, 1],
  ] as Array<[number, number]>,
}

describe('Function: fitCalibration', () => {
  it('adopts a fit that keeps the budget where the calibration in force escalates every answerable ticket', () => {
    // Prepare
    const samples = history(120)

    // Act
    const fit = fitCalibration(samples, UNCALIBRATED, { budget: 0.1 })

    // Assess
    expect(fit.adopt).toBe(true)
    expect(fit.parts).toEqual({ cutoffs: true, map: true })
    expect(fit.current.answerableEscalated).toBe(1)
    expect(fit.crossValidated.answerableEscalated).toBeLessThanOrEqual(0.1 + 1e-9)
    expect(fit.adopted.lowRetrievalThreshold).toBeLessThan(0.5)
    expect(fit.crossValidated.ece).toBeLessThan(fit.current.ece!)
    expect(fit.reason).toMatch(/^adopted; cut-offs adopted/)
    const probabilities = fit.adopted.confidenceMap.map(([, p]) => p)
    expect(probabilities).toEqual([...probabilities].sort((x, y) => x - y))
  })

  it('keeps the calibration in force, and says why, when the sample is too small', () => {
    // Prepare
    const samples = history(MIN_SAMPLES.answerable)

    // Act
    const fit = fitCalibration(samples, UNCALIBRATED)

    // Assess
    expect(fit.adopt).toBe(false)
    expect(fit.reason).toMatch(/too few labelled samples: \d+ answerable \(need 20\)/)
    expect(fit.adopted.lowRetrievalThreshold).toBe(0.5)
  })

  it('keeps the calibration in force when the fit does not beat it out of sample', () => {
    // Prepare: first fit, then refit the same desk against that fit
    const samples = history(150, 7)
    const first = fitCalibration(samples, UNCALIBRATED)

    // Act
    const again = fitCalibration(samples, first.adopted)

    // Assess: judged on the same samples, a refit cannot beat what was fitted on them
    expect(first.adopt).toBe(true)
    expect(again.parts.cutoffs).toBe(false)
    expect(again.reason).toMatch(/cut-offs kept/)
  })

  it('judges the cut-offs by nested cross-validation, never on the samples they were fitted on', () => {
    // Prepare: labels that are noise: in sample a pair still "catches" some, out of sample it cannot beat chance
    const samples = history(150, 3).map((s, i) => ({ ...s, answerable: (i * 7919) % 5 < 3 }))
    const keep = samples.filter((s) => s.answerable).map((s) => ({ sim: s.sim!, cov: s.cov! }))
    const escalate = samples.filter((s) => !s.answerable).map((s) => ({ sim: s.sim!, cov: s.cov! }))

    // Act
    const inSample = jointCutForBudget(keep, escalate, 0.1)!
    const nested = nestedCrossValidatedCut(keep, escalate, 0.1)!
    const fit = fitCalibration(samples, UNCALIBRATED)

    // Assess
    expect(fit.crossValidated.answerableEscalated).toBe(Math.round(nested.keepEscalated * 10_000) / 10_000)
    expect(nested.escalateCaught - nested.keepEscalated).toBeLessThan(
      inSample.escalateCaught - inSample.keepEscalated,
    )
  })
})

describe('Function: jointCutForBudget', () => {
  it('takes, of pairs catching as many, the lowest similarity and the highest coverage cut-off', () => {
    // Prepare
    const keep = [
      { sim: 0.4, cov: 0.5 },
      { sim: 0.5, cov: 0.4 },
      { sim: 0.45, cov: 0.3 },
    ]
    const escalate = [{ sim: 0.1, cov: 0.05 }]

    // Act
    const cut = jointCutForBudget(keep, escalate, 0)!

    // Assess: 0.1 is caught by either cut-off alone; the similarity cut stays at 0 and coverage takes the gap
    expect(cut).toMatchObject({ threshold: 0, keepEscalated: 0, escalateCaught: 1 })
    expect(cut.minCoverage).toBeGreaterThan(0.05)
    expect(cut.minCoverage).toBeLessThanOrEqual(0.3)
  })

  it('treats answerable tickets escalated whatever the cut-offs as the floor of the budget', () => {
    // Prepare
    const keep = [
      { sim: 0.4, cov: 0.5, fixed: true },
      { sim: 0.5, cov: 0.4 },
    ]
    const escalate = [{ sim: 0.1, cov: 0.05 }]

    // Act
    const cut = jointCutForBudget(keep, escalate, 0)

    // Assess
    expect(cut).not.toBeNull()
    expect(cut!.keepEscalated).toBe(0.5)
  })
})
