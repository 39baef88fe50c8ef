import { ForbiddenError } from '../errors.ts'
import type { AuthContext } from './roles.ts'

/**
 * The tenant a request acts on: the caller's own, or — for a superadmin only — the `tenantId` it names.
 * Everyone else naming another tenant gets 403 rather than silently working on their own.
 */
export function actingTenant(auth: AuthContext, requested?: number): number {
  if (requested === undefined || requested === auth.tenantId) return auth.tenantId
  if (auth.role !== 'superadmin') throw new ForbiddenError('only a superadmin may act on another tenant')
  return requested
}
