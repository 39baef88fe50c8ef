import type { ReactNode } from 'react'
import { hasRole, useSession } from '../../../lib/session.ts'

/**
 * What only a superadmin may change through the API (a tenant's WHMCS connection, webhook secret and
 * settings): the content for them, a sentence saying who can for anyone else.
 */
export function OperatorOnly({ children }: { children: ReactNode }) {
  if (hasRole(useSession(), 'superadmin')) return <>{children}</>
  return (
    <p className="notice">
      Only the Draftdesk operator (a superadmin) changes this: ask them, or sign in as one.
    </p>
  )
}
