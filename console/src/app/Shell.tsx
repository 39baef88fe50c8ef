import { NavLink, Outlet, useNavigate } from 'react-router'
import { expire, hasRole, useSession } from '../lib/session.ts'

const ROLE_LABEL = { support_agent: 'Agent', admin: 'Admin', superadmin: 'Superadmin' } as const

/** The frame of every signed-in page: the navigation (Settings for admins only) and who is signed in. */
export function Shell() {
  const session = useSession()
  const navigate = useNavigate()
  if (!session) return <Outlet />
  const signOut = () => {
    navigate('/sign-in', { replace: true })
    expire()
  }
  const admin = hasRole(session, 'admin')
  return (
    <div className="shell">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Draftdesk</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Review queue
          </NavLink>
          <NavLink to="/kb">Knowledge base</NavLink>
          <NavLink to="/try">Try a question</NavLink>
          {admin && <NavLink to="/analytics">Analytics</NavLink>}
          {admin && <NavLink to="/calibration">Calibration</NavLink>}
          {admin && <NavLink to="/knowledge-gaps">Knowledge gaps</NavLink>}
          {admin && <NavLink to="/settings">Settings</NavLink>}
        </nav>
        <div className="who">
          <span>
            {session.user.email} · {ROLE_LABEL[session.user.role]} · {session.tenant}
          </span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  )
}
