import { logger } from '#shared/logger'

/**
 * Runs `fn` with the logger at DEBUG and returns everything written to stdout and stderr meanwhile, for
 * tests that prove secrets never reach a log line. Restores the streams and the quiet level afterwards.
 */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const written: string[] = []
  const stdout = process.stdout.write.bind(process.stdout)
  const stderr = process.stderr.write.bind(process.stderr)
  const capture = (chunk: unknown) => {
    written.push(String(chunk))
    return true
  }
  logger.setLogLevel('DEBUG')
  process.stdout.write = capture as typeof process.stdout.write
  process.stderr.write = capture as typeof process.stderr.write
  try {
    const result = await fn()
    return { result, output: written.join('') }
  } finally {
    process.stdout.write = stdout
    process.stderr.write = stderr
    logger.setLogLevel('SILENT')
  }
}
