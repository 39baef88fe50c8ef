import { AsyncLocalStorage } from 'node:async_hooks'
import { Logger } from '@aws-lambda-powertools/logger'
import type { LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types'
import { processEnv } from './config.ts'

/** Keys that say whose a log line is: tenant, user, route, queue, job, ticket, article, ... */
export type LogKeys = Record<string, unknown>

/**
 * The keys of the request or job being handled, scoped with AsyncLocalStorage rather than Powertools'
 * `appendKeys`: those are one set per process, while the local runtime serves concurrent requests in
 * one process and a worker handles the records of a batch concurrently (Powertools scopes its keys per
 * invocation only on Lambda's managed instances). Every line written inside a scope carries its keys,
 * whichever module writes it.
 */
const scope = new AsyncLocalStorage<LogKeys>()

/**
 * Runs `fn` with `keys` on every log line (and trace subsegment, see shared/observability.ts) it
 * writes, on top of the keys of the scope it runs in. Returns what `fn` returns.
 */
export function withLogKeys<T>(keys: LogKeys, fn: () => T): T {
  return scope.run({ ...scope.getStore(), ...keys }, fn)
}

/**
 * Runs `fn` in the current scope with `keys` added to it, or in a new scope when there is none. For the
 * handler of a request that its server already scoped (the local runtime's HTTP server): the server's own
 * lines about the request then carry what the handler learned, such as the tenant.
 */
export function inLogScope<T>(keys: LogKeys, fn: () => T): T {
  const store = scope.getStore()
  if (!store) return scope.run({ ...keys }, fn)
  Object.assign(store, keys)
  return fn()
}

/**
 * Adds keys to the current scope from here on (e.g. the tenant once the caller is authenticated). Outside
 * any scope it does nothing: process-wide keys would be written on other requests' lines.
 */
export function addLogKeys(keys: LogKeys): void {
  const store = scope.getStore()
  if (store) Object.assign(store, keys)
}

/**
 * The keys of work done for several jobs at once (a worker's batch): a key all of them share stays one
 * value, a key they differ on lists its distinct values, so a line of the batch still names each tenant.
 */
export function keysOfAll(each: readonly LogKeys[]): LogKeys {
  const values = new Map<string, unknown[]>()
  for (const keys of each) {
    for (const [key, value] of Object.entries(keys)) {
      const seen = values.get(key) ?? []
      if (!seen.includes(value)) seen.push(value)
      values.set(key, seen)
    }
  }
  return Object.fromEntries([...values].map(([key, seen]) => [key, seen.length === 1 ? seen[0] : seen]))
}

/** The keys of the current scope (empty outside one). */
export function logKeys(): Readonly<LogKeys> {
  return scope.getStore() ?? {}
}

/**
 * Powertools logger that writes the current scope's keys on every line, and whose level, once set, stays
 * set: Powertools re-applies the constructor's level on every warm invocation (its debug-sampling
 * refresh); Draftdesk does not use debug sampling, and the local runtime and tests change the level at
 * run time, so the refresh is turned off.
 */
class DraftdeskLogger extends Logger {
  override refreshSampleRateCalculation(): void {}

  protected override createAndPopulateLogItem(
    level: number,
    input: LogItemMessage,
    extra: LogItemExtraInput,
  ) {
    const keys = scope.getStore()
    // The scope first: a key the call site passes itself (`logger.warn(msg, { tenantId })`) wins.
    return super.createAndPopulateLogItem(
      level,
      input,
      keys ? ([keys, ...extra] as LogItemExtraInput) : extra,
    )
  }
}

/**
 * The one logger. In Lambda it writes structured JSON; locally the same JSON goes to stdout. Secrets never
 * reach it: callers log ids, not credentials.
 */
export const logger = new DraftdeskLogger({
  serviceName: processEnv.serviceName,
  logLevel: processEnv.logLevel,
})

/** The logger as the `{ info, warn }` shape that shared/ai's provider selection takes. */
export const providerLogger = {
  info: (message: string, extra?: object) => logger.info(message, { ...extra }),
  warn: (message: string, extra?: object) => logger.warn(message, { ...extra }),
}
