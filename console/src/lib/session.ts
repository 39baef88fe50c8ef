import { useSyncExternalStore } from 'react'

/** Roles that may use the console; customers (`user`) are refused at sign-in. */
export type StaffRole = 'support_agent' | 'admin' | 'superadmin'

export interface Session {
  token: string
  /** ISO instant the token stops working. */
  expiresAt: string
  user: { id: number; tenantId: number; email: string; fullName: string | null; role: StaffRole }
  tenant: string
}

/**
 * Kept in memory and in localStorage. localStorage rather than sessionStorage because the WHMCS panel's
 * *Review in Draftdesk* opens a new tab, and sessionStorage would ask for a sign-in in every one. The token
 * lives at most JWT_TTL_SECONDS, ends server-side on a password or role change, and the page's CSP allows
 * no foreign script; signing out (in any tab) removes it everywhere.
 */
const KEY = 'draftdesk.session'

type Listener = () => void
const listeners = new Set<Listener>()
let current: Session | null = read()
let expiryTimer: ReturnType<typeof setTimeout> | undefined

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY)
    if (!raw) return null
    const session = JSON.parse(raw) as Session
    return Date.parse(session.expiresAt) > Date.now() ? session : null
  } catch {
    return null
  }
}

function set(next: Session | null): void {
  current = next
  clearTimeout(expiryTimer)
  if (next) {
    localStorage.setItem(KEY, JSON.stringify(next))
    // setTimeout holds at most ~24.8 days; a token lives hours.
    const left = Math.min(Date.parse(next.expiresAt) - Date.now(), 2 ** 31 - 1)
    expiryTimer = setTimeout(() => expire(), Math.max(left, 0))
  } else {
    localStorage.removeItem(KEY)
  }
  for (const l of listeners) l()
}

/** Another tab signed in or out. */
window.addEventListener('storage', (e) => {
  if (e.key === KEY) set(read())
})
if (current) set(current)

export const getSession = (): Session | null => current
export const signedIn = (session: Session): void => set(session)

/**
 * Ends the session: signing out, an expired token, or a 401 from the API (the server ended it). The app's
 * guard then sends the page to sign-in with the page it was on as `next` (app/RequireAuth.tsx).
 */
export function expire(): void {
  if (current) set(null)
}

/** The page to open after signing in: a path inside the app only, never another origin. */
export const safeReturnPath = (next: string | null): string =>
  next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/sign-in') ? next : '/'

/** The current session, re-rendering on sign-in, sign-out and expiry. */
export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    () => current,
  )
}

const RANK: Record<StaffRole, number> = { support_agent: 1, admin: 2, superadmin: 3 }
/** Whether the session's role includes `role`'s rights. */
export const hasRole = (session: Session | null, role: StaffRole): boolean =>
  session !== null && RANK[session.user.role] >= RANK[role]
