import * as z from 'zod'

/** Roles from lowest to highest; each includes the rights of those before it. */
const ROLES = ['user', 'support_agent', 'admin', 'superadmin'] as const
export type Role = (typeof ROLES)[number]

/** Accepts seed 000's `agent` as an alias of seed 001's `support_agent`. */
export const roleSchema = z.preprocess((v) => (v === 'agent' ? 'support_agent' : v), z.enum(ROLES))

export const hasRole = (actual: Role, required: Role): boolean =>
  ROLES.indexOf(actual) >= ROLES.indexOf(required)

/** The less privileged of two roles (an API key never outranks its creator). */
export const lowerRole = (a: Role, b: Role): Role => (hasRole(a, b) ? b : a)

/** Who is calling: a logged-in user (JWT) or a machine client (x-api-key). */
export interface AuthContext {
  kind: 'user' | 'api_key'
  tenantId: number
  /** The user's id; for API keys, the key's creator (may be null). */
  userId: number | null
  apiKeyId?: number
  role: Role
}
