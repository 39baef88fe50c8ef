/**
 * The evaluation harness on the shipped labelled set (eval/dataset), through the real pipeline. The
 * figures asserted about escalation and calibration are out of sample: the desk simulation fits a desk's
 * own calibration on part of the set, labelled from the staff replies by a replay's rules, and judges it on
 * the rest (eval/desk.ts). In-sample figures of the built-in entry (fitted on this very set) pass by
 * construction and are not asserted. See docs/evaluation.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CALIBRATIONS } from '#shared/trust/calibration'
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

  it('a desk that replays part of the set holds the budget on the rest: at most 10% of answerable tickets escalated for low retrieval, 80% of out-of-KB ones caught, ECE at most 0.10', () => {
    // Assess: judged on tickets no fit of theirs took part in, averaged (pooled) over the splits
    const desk = report.desk!
    expect(desk.splits).toBeGreaterThanOrEqual(10)
    expect(desk.desk.adoptedSplits).toBe(desk.splits)
    expect(desk.desk.answerableLowRetrieval).toBeLessThanOrEqual(0.1)
    expect(desk.desk.outOfKbCaught).toBeGreaterThanOrEqual(0.8)
    expect(desk.desk.ece).toBeLessThanOrEqual(0.1)
  })

  it('labels shadow drafts from the staff replies in agreement with the hand labels', () => {
    // Assess: the rules never see the hand labels (shared/trust/labels.ts)
    const { answerable, usable } = report.desk!.labels
    expect(answerable.decided).toBeGreaterThanOrEqual(80)
    expect(answerable.agree / answerable.decided).toBeGreaterThanOrEqual(0.9)
    expect(usable.agree / usable.decided).toBeGreaterThanOrEqual(0.8)
  })

  it('cites the expected article for 90% of answerable tickets and escalates every must-escalate one', () => {
    // Assess
    const m = report.rounds[0]!.metrics
    expect(m.citations.expectedCited).toBeGreaterThanOrEqual(0.9)
    expect(m.escalation.mustEscalateEscalated).toBe(1)
  })

  it('measures knowledge coverage on each out-of-KB ticket in the KB language, and hands the others to a person', () => {
    // Assess
    const round = report.rounds[0]!
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

  it('ranks right drafts first by confidence, and the shipped entry states its cross-validated figures', () => {
    // Assess: AUROC is not fitted (a monotone map keeps the ranking of the raw points)
    const c = report.rounds[0]!.metrics.confidence
    expect(c.auroc).toBeGreaterThan(0.6)
    expect(report.rounds[0]!.calibration).toMatchObject({ id: 'builtin/builtin-hash-v1@2026-12-02' })
    expect(CALIBRATIONS[0]!.crossValidated).toMatchObject({
      answerableEscalated: expect.any(Number),
      ece: expect.any(Number),
    })
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
    report = await runEval({ every: 5, desk: false, env: { OLLAMA_HOST: fake.url } })
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
