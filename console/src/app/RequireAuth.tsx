import type { ReactNode } from 'react'
import { Navigate, useLocation } from 'react-router'
import { hasRole, type StaffRole, useSession } from '../lib/session.ts'

/**
 * Pages behind sign-in. Without a session (never signed in, signed out, expired, or ended by the server)
 * the page goes to sign-in with itself as `next`, so signing in returns to it.
 */
export function RequireAuth({
  children,
  minRole = 'support_agent',
}: {
  children: ReactNode
  minRole?: StaffRole
}) {
  const session = useSession()
  const location = useLocation()
  if (!session) {
    const next = location.pathname + location.search
    return <Navigate to={next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`} replace />
  }
  if (!hasRole(session, minRole)) {
    return (
      <main className="page">
        <h1>Not available to your role</h1>
        <p>This page is for {minRole === 'admin' ? 'admins' : 'superadmins'} of the desk.</p>
      </main>
    )
  }
  return children
}
