/**
 * aws-cdk-lib writes "Bundling asset <construct path>..." to stderr before bundling each asset, with no
 * option to turn it off (core/lib/asset-staging), and the CDK CLI prints an app's stderr as errors: one
 * line per function, ~50 a synth. This drops exactly those lines; everything else on stderr (esbuild's
 * warnings and errors, CDK's own errors, which name the asset that failed) passes unchanged.
 */

const PROGRESS = /^Bundling asset [^\n]*\.\.\.\n$/

/** Whether a chunk written to stderr is nothing but CDK's per-asset bundling progress line. */
function isBundlingProgress(chunk: unknown): boolean {
  return typeof chunk === 'string' && PROGRESS.test(chunk)
}

/** Filters CDK's bundling progress lines out of `stream` (the app's stderr) from now on. */
export function dropBundlingProgress(stream: NodeJS.WriteStream = process.stderr): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (!isBundlingProgress(chunk)) return write(chunk, ...rest)
    // A dropped write still completes for a caller that waits on it.
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined
    done?.()
    return true
  }) as typeof stream.write
}
