import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { dropBundlingProgress } from '../../infra/quiet-bundling.ts'

describe('npm run synth: CDK bundling progress', () => {
  it('drops only the per-asset "Bundling asset …" lines, and lets warnings and errors through', () => {
    // Prepare
    const stream = new PassThrough()
    const written: string[] = []
    stream.on('data', (chunk: Buffer) => written.push(chunk.toString()))
    dropBundlingProgress(stream as unknown as NodeJS.WriteStream)
    // Act
    stream.write('Bundling asset Draftdesk-Api/HttpHealth/Code/Stage...\n')
    stream.write('▲ [WARNING] Import "x" will always be undefined [import-is-undefined]\n')
    stream.write(
      'Failed to bundle asset Draftdesk-Api/HttpHealth/Code/Stage, bundle output is located at …\n',
    )
    stream.write('Bundling asset a/b... and more on the same line\n')
    // Assess
    expect(written).toEqual([
      '▲ [WARNING] Import "x" will always be undefined [import-is-undefined]\n',
      'Failed to bundle asset Draftdesk-Api/HttpHealth/Code/Stage, bundle output is located at …\n',
      'Bundling asset a/b... and more on the same line\n',
    ])
  })
})
