import type { z } from 'zod'
import { accountContract } from './account.ts'
import { calibrationContract } from './calibration.ts'
import { draftsContract } from './drafts.ts'
import { identityContract } from './identity.ts'
import { integrationsContract } from './integrations.ts'
import { kbContract } from './kb.ts'
import { promptsContract } from './prompts.ts'
import { reviewContract } from './review.ts'
import { systemContract } from './system.ts'
import { ticketsContract } from './tickets.ts'

/**
 * What a route accepts and what it answers: zod schemas for path, query, body and response (the single
 * source for types and OpenAPI).
 */
export interface RouteSpec {
  summary: string
  public?: true
  /** Success status when not the default (POST 201, others 200). */
  status?: number
  params?: z.ZodType
  query?: z.ZodType
  body?: z.ZodType
  /**
   * The success body, as the handler returns it (dates as `Date`, which JSON carries as ISO strings): a
   * union of titled views where the audience changes what is shown, `noContent` for a 204. Required, so a
   * new route cannot leave its answer undocumented; test/e2e/response-schemas.test.ts holds real
   * answers to these schemas.
   */
  response: z.ZodType
  /** The success body's media type when it is not JSON (an SVG diagram). */
  contentType?: string
}

/** Request and response schemas of every route, keyed as in shared/routes.ts (`METHOD /path`). */
export const contract = {
  ...systemContract,
  ...identityContract,
  ...kbContract,
  ...ticketsContract,
  ...draftsContract,
  ...accountContract,
  ...promptsContract,
  ...reviewContract,
  ...integrationsContract,
  ...calibrationContract,
} as const satisfies Record<string, RouteSpec>

export type RouteKey = keyof typeof contract
