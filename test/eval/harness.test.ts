/**
 * The evaluation harness on the shipped labelled set (eval/dataset), through the real pipeline. The
 * figures asserted here are the product's promises about escalation, citations and calibration with the
 * built-in provider; see docs/evaluation.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EvalReport, runEval } from '../../eval/run.ts'
import { type FakeOllama, startFakeOllama } from '../fakes/ollama-server.ts'

// The harness imports 19 articles and drafts 95 tickets on a fresh embedded database.
const HARNESS_TIMEOUT_MS = 600_000

describe('Function: runEval (built-in provider, shipped calibration)', () => {
  let report: EvalReport

  beforeAll(async () => {
    report = await runEval({ fit: false, env: { OLLAMA_HOST: '' } })
  }, HARNESS_TIMEOUT_MS)

  it('drafts every labelled ticket with the built-in calibration', () => {
    // Assess
    const [round] = report.rounds
    expect(report.provider).toEqual({ name: 'builtin', embedModel: 'builtin-hash-v1' })
    expect(report.dataset.tickets).toBeGreaterThanOrEqual(66)
    expect(round!.outcomes).toHaveLength(report.dataset.tickets)
    expect(round!.calibration).toMatchObject({ calibrated: true, thresholdSource: 'calibration' })
  })

  it('escalates at most 10% of answerable tickets for low retrieval and cites the expected article for 90%', () => {
    // Assess
    const m = report.rounds[0]!.metrics
    expect(m.escalation.answerableLowRetrieval).toBeLessThanOrEqual(0.1)
    expect(m.citations.expectedCited).toBeGreaterThanOrEqual(0.9)
    expect(m.escalation.mustEscalateEscalated).toBe(1)
  })

  it('escalates most out-of-KB tickets, measuring knowledge coverage on each one in the KB language', () => {
    // Assess: the 90% is not reached with hashed n-gram vectors within the 10% answerable budget
    // (87.5% with similarity + coverage + the language check + unmentioned terms, 72% without unmentioned
    // terms, 19% with similarity alone; docs/evaluation.md). This floor keeps those signals from regressing.
    const round = report.rounds[0]!
    expect(round.metrics.escalation.outOfKbEscalated).toBeGreaterThanOrEqual(0.85)
    expect(round.calibration).toMatchObject({ minCoverage: expect.any(Number) })
    const outOfKb = round.outcomes.filter((o) => o.label === 'out_of_kb')
    const english = outOfKb.filter((o) => o.language === 'en')
    expect(english.every((o) => typeof o.coverage === 'number')).toBe(true)
    // The built-in drafter quotes English articles to these customers: a person must answer them.
    const foreign = outOfKb.filter((o) => o.language !== 'en')
    expect(foreign.length).toBeGreaterThan(0)
    expect(foreign.every((o) => o.reasons.includes('language_mismatch'))).toBe(true)
  })

  it('escalates for terms the question asks about and the sources never mention, and only in English', () => {
    // Assess: every ticket with unmentioned terms escalated for low retrieval; no non-English ticket has any
    const outcomes = report.rounds[0]!.outcomes
    const named = outcomes.filter((o) => o.unmentioned.length > 0)
    expect(named.filter((o) => o.label === 'out_of_kb').length).toBeGreaterThanOrEqual(10)
    expect(named.every((o) => o.reasons.includes('low_retrieval'))).toBe(true)
    expect(named.every((o) => o.language === 'en')).toBe(true)
    expect(outcomes.find((o) => o.id === 't040')?.unmentioned).toContain('s3')
  })

  it('states confidence as a calibrated probability: ECE at most 0.10, and it still ranks right drafts first', () => {
    // Assess
    const c = report.rounds[0]!.metrics.confidence
    expect(c.ece).toBeLessThanOrEqual(0.1)
    expect(c.auroc).toBeGreaterThan(0.6)
    expect(c.brier).toBeLessThan(0.25)
  })

  it("records the customer's language on every draft", () => {
    // Assess
    expect(report.rounds[0]!.metrics.language.detected).toBeGreaterThanOrEqual(0.95)
  })
})

describe('Function: runEval (fake Ollama, deterministic vectors)', () => {
  let fake: FakeOllama
  let report: EvalReport

  beforeAll(async () => {
    fake = await startFakeOllama()
    report = await runEval({ every: 5, env: { OLLAMA_HOST: fake.url } })
  }, HARNESS_TIMEOUT_MS)
  afterAll(() => fake?.close())

  it('runs end to end through the Ollama client and reports its figures and a suggested calibration', () => {
    // Assess
    const [configured] = report.rounds
    const suggested = report.suggestedCalibration!
    expect(report.provider).toEqual({ name: 'ollama', embedModel: 'nomic-embed-text' })
    expect(fake.calls.some((c) => c.path === '/api/chat')).toBe(true)
    expect(configured!.calibration).toMatchObject({
      calibrated: false,
      id: 'ollama/nomic-embed-text@uncalibrated',
    })
    expect(configured!.metrics.retrieval.hitAt3).toBeGreaterThan(0.5)
    expect(configured!.metrics.confidence.reliability).toHaveLength(10)
    expect(suggested.space).toEqual({ provider: 'ollama', model: 'nomic-embed-text' })
    expect(suggested.lowRetrievalThreshold).toBeGreaterThan(0)
    expect(suggested.minCoverage).toBeGreaterThanOrEqual(0)
    expect(configured!.metrics.escalation.outOfKbEscalated).not.toBeNull()
    const probabilities = suggested.confidenceMap.map(([, p]) => p)
    expect(probabilities).toEqual([...probabilities].sort((a, b) => a - b))
    expect(suggested.fit.eceCrossValidated).not.toBeNull()
  })
})
