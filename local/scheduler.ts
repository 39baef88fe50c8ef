import { logger } from '#shared/logger'
import type { ScheduleDef } from '#shared/routes'

type ScheduleHandler = () => Promise<unknown>

/** The local EventBridge: calls each schedule handler at its rate, never two runs of one at once. */
export function startScheduler(
  defs: readonly ScheduleDef[],
  load: (def: ScheduleDef) => Promise<ScheduleHandler>,
) {
  const timers: NodeJS.Timeout[] = []
  const running = new Map<string, Promise<unknown>>()
  for (const def of defs) {
    const tick = () => {
      if (running.has(def.name)) return
      const run = load(def)
        .then((handler) => handler())
        .catch((error) => logger.error('scheduled job failed', { schedule: def.name, error: error as Error }))
        .finally(() => running.delete(def.name))
      running.set(def.name, run)
    }
    timers.push(setInterval(tick, def.everyMinutes * 60_000).unref())
  }
  return {
    /** Stops the timers and waits for runs in progress. */
    async stop() {
      for (const t of timers) clearInterval(t)
      await Promise.allSettled([...running.values()])
    },
  }
}
