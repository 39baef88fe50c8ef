import { Logger } from '@aws-lambda-powertools/logger'

/**
 * The one Powertools logger. In Lambda it writes structured JSON; locally the same JSON goes to stdout
 * (`npm start` pretty-prints it). Secrets never reach it: callers log ids, not credentials.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'draftdesk',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
})

/** The logger as the `{ info, warn }` shape that shared/ai's provider selection takes. */
export const providerLogger = {
  info: (message: string, extra?: object) => logger.info(message, { ...extra }),
  warn: (message: string, extra?: object) => logger.warn(message, { ...extra }),
}
