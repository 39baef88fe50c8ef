import { type FormEvent, useState } from 'react'
import { Navigate, useSearchParams } from 'react-router'
import { ErrorNote, Field } from '../../../components/ui.tsx'
import { safeReturnPath, useSession } from '../../../lib/session.ts'
import { useSignIn } from '../api/sign-in.ts'

/** Tenant, email and password; afterwards the page the user was on (`next`), or the review queue. */
export function SignInPage() {
  const session = useSession()
  const [params] = useSearchParams()
  const next = safeReturnPath(params.get('next'))
  const signIn = useSignIn()
  const [tenant, setTenant] = useState(() => localStorage.getItem('draftdesk.tenant') ?? '')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')

  if (session) return <Navigate to={next} replace />

  const submit = (e: FormEvent) => {
    e.preventDefault()
    localStorage.setItem('draftdesk.tenant', tenant)
    signIn.mutate({ tenant: tenant.trim(), email: email.trim(), password })
  }
  const fieldError = (path: string) =>
    signIn.error && 'fieldMessage' in signIn.error
      ? (signIn.error as { fieldMessage(p: string): string | undefined }).fieldMessage(path)
      : undefined

  return (
    <main className="sign-in">
      <form onSubmit={submit} className="card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Draftdesk</h1>
        {params.get('next') && !signIn.error && (
          <p className="notice" role="status">
            Your session ended. Sign in again to return to where you were.
          </p>
        )}
        <Field label="Tenant" hint="Your desk's short name, e.g. acme" error={fieldError('tenant')}>
          {(p) => (
            <input
              {...p}
              value={tenant}
              onChange={(e) => setTenant(e.target.value)}
              autoComplete="organization"
              required
            />
          )}
        </Field>
        <Field label="Email" error={fieldError('email')}>
          {(p) => (
            <input
              {...p}
              type="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoComplete="username"
              required
            />
          )}
        </Field>
        <Field label="Password">
          {(p) => (
            <input
              {...p}
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="current-password"
              required
            />
          )}
        </Field>
        <ErrorNote error={signIn.error} />
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
