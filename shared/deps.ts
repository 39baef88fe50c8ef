import type { AiProvider } from './ai/provider.ts'
import type { Config } from './config.ts'
import type { Sql } from './db/sql.ts'
import type { QueuePort } from './queue/port.ts'

/**
 * Everything a handler needs from the outside world. Services take these as arguments; handlers get
 * them from `getDeps()`. The local runtime and tests install theirs with `setDeps`; in Lambda the first
 * call builds them from the environment and Secrets Manager (shared/aws-deps.ts), once per container.
 */
export interface Deps {
  config: Config
  sql: Sql
  queue: QueuePort
  ai: AiProvider
  /** HS256 signing key for JWTs. */
  jwtKey: Uint8Array
  /** 32-byte AES-256-GCM key for tenant credentials at rest. */
  dataKey: Buffer
  now: () => Date
}

let current: Promise<Deps> | undefined

export function setDeps(deps: Deps | undefined): void {
  current = deps ? Promise.resolve(deps) : undefined
}

export async function getDeps(): Promise<Deps> {
  if (!current) {
    const { buildAwsDeps } = await import('./aws-deps.ts')
    current = buildAwsDeps().catch((err) => {
      current = undefined // a failed cold start must not poison the container forever
      throw err
    })
  }
  return current
}
