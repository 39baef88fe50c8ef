import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { reportDir } from '../../eval/run.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const builtin = { name: 'builtin', embedModel: 'builtin-hash-v1' }

describe('Function: reportDir (where npm run eval writes)', () => {
  it('writes to the git-ignored eval/out unless asked to update the committed reports', () => {
    expect(reportDir(builtin, { update: false })).toBe(join(ROOT, 'eval/out/builtin-builtin-hash-v1'))
    expect(reportDir(builtin, { update: true })).toBe(join(ROOT, 'eval/results/builtin-builtin-hash-v1'))
  })

  it('gives another tickets file a folder of its own, named after its directory', () => {
    const holdout = { ticketsFile: 'eval/holdout/tickets.json' }
    expect(reportDir(builtin, { ...holdout, update: false })).toBe(
      join(ROOT, 'eval/out/builtin-builtin-hash-v1-holdout'),
    )
    expect(
      reportDir({ name: 'ollama', embedModel: 'nomic-embed-text:v1.5' }, { ...holdout, update: true }),
    ).toBe(join(ROOT, 'eval/results/ollama-nomic-embed-text-v1.5-holdout'))
  })
})
