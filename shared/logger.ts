import { Logger } from '@aws-lambda-powertools/logger'

/**
 * Powertools logger whose level, once set, stays set. Powertools re-applies the constructor's level on
 * every warm invocation (its debug-sampling refresh); Draftdesk does not use debug sampling, and the local
 * runtime and tests change the level at run time, so the refresh is turned off.
 */
class DraftdeskLogger extends Logger {
  override refreshSampleRateCalculation(): void {}
}

/**
 * The one logger. In Lambda it writes structured JSON; locally the same JSON goes to stdout. Secrets never
 * reach it: callers log ids, not credentials.
 */
export const logger = new DraftdeskLogger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'draftdesk',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
})

/** The logger as the `{ info, warn }` shape that shared/ai's provider selection takes. */
export const providerLogger = {
  info: (message: string, extra?: object) => logger.info(message, { ...extra }),
  warn: (message: string, extra?: object) => logger.warn(message, { ...extra }),
}
