import { describe, expect, it } from 'vitest'
import {
  applyCalibration,
  CALIBRATIONS,
  type Calibration,
  calibrateConfidence,
  calibrationFor,
} from '../../shared/trust/calibration.ts'
import { captureOutput } from '../helpers/logs.ts'

const table: Calibration[] = [
  {
    id: 'test/space@1',
    space: { provider: 'ollama', model: 'nomic-embed-text' },
    calibrated: true,
    lowRetrievalThreshold: 0.42,
    minCoverage: 0.25,
    minSourceScore: 0.3,
    confidenceMap: [
      [20, 0.1],
      [60, 0.9],
    ],
    evalReliability: [],
    derivedFrom: 'test',
  },
]

describe('Function: calibrateConfidence', () => {
  it('maps raw points through the breakpoints, monotone, clamped to the ends', () => {
    // Prepare
    const map = table[0]!.confidenceMap

    // Act
    const mapped = [0, 20, 40, 60, 100].map((raw) => calibrateConfidence(raw, map))

    // Assess
    expect(mapped).toEqual([10, 10, 50, 90, 90])
  })

  it('ships a monotone map for the built-in space', () => {
    // Prepare
    const builtin = calibrationFor({ provider: 'builtin', model: 'builtin-hash-v1' }, 0.5)

    // Act
    const curve = Array.from({ length: 101 }, (_, raw) => calibrateConfidence(raw, builtin.confidenceMap))

    // Assess
    expect(builtin.calibrated).toBe(true)
    expect(CALIBRATIONS).toContain(builtin)
    for (let i = 1; i < curve.length; i++) expect(curve[i]).toBeGreaterThanOrEqual(curve[i - 1]!)
  })
})

describe('Function: applyCalibration', () => {
  const space = { provider: 'ollama', model: 'nomic-embed-text:latest' }
  const global = { scope: 'global' as const, scoreThreshold: 0.5 }

  it("uses the space's calibrated cut-offs over the seed's global 0.5", () => {
    // Act
    const applied = applyCalibration({ space, reranking: global, table })

    // Assess
    expect(applied).toMatchObject({
      lowRetrievalThreshold: 0.42,
      minSourceScore: 0.3,
      thresholdSource: 'calibration',
    })
    expect(applied.record).toMatchObject({ id: 'test/space@1', calibrated: true })
  })

  it("lets a tenant's own threshold win: escalation rules first, then its own reranking config", () => {
    // Act
    const rules = applyCalibration({ space, reranking: global, tenantThreshold: 0.7, table })
    const own = applyCalibration({ space, reranking: { scope: 'tenant', scoreThreshold: 0.25 }, table })

    // Assess
    expect(rules).toMatchObject({ lowRetrievalThreshold: 0.7, thresholdSource: 'tenant_escalation_rules' })
    expect(own).toMatchObject({
      lowRetrievalThreshold: 0.25,
      minSourceScore: 0.25,
      thresholdSource: 'tenant_reranking_config',
    })
  })

  it('falls back conservatively for an unknown space and logs it once', async () => {
    // Prepare
    const other = { provider: 'ollama', model: 'mxbai-embed-large' }

    // Act
    const { result: a, output } = await captureOutput(async () => {
      const first = applyCalibration({ space: other, reranking: global, table })
      applyCalibration({ space: other, reranking: global, table })
      return first
    })

    // Assess
    expect(a.calibration.calibrated).toBe(false)
    expect(a).toMatchObject({ lowRetrievalThreshold: 0.5, minSourceScore: 0.5 })
    expect(calibrateConfidence(73, a.calibration.confidenceMap)).toBe(73)
    expect(output.split('no calibration for this scoring space')).toHaveLength(2)
  })
})
