import { useMutation } from '@tanstack/react-query'
import { ApiError, call } from '../../../lib/api.ts'
import { type Session, type StaffRole, signedIn } from '../../../lib/session.ts'

interface Credentials {
  tenant: string
  email: string
  password: string
}

const STAFF: readonly string[] = ['support_agent', 'admin', 'superadmin'] satisfies StaffRole[]

/**
 * Signs in with `POST /auth/login`. A customer account (role `user`) is refused here and its token dropped
 * unused: the console is for the people who run the desk, and the API would refuse most of it anyway.
 */
export function useSignIn() {
  return useMutation({
    mutationFn: async (credentials: Credentials): Promise<Session> => {
      const reply = await call('POST /auth/login', { body: credentials })
      if (!STAFF.includes(reply.user.role)) {
        throw new ApiError(
          403,
          'not_staff',
          'This console is for support staff. Customers follow their tickets in the client area.',
        )
      }
      const session: Session = {
        token: reply.token,
        expiresAt: reply.expiresAt,
        user: { ...reply.user, role: reply.user.role as StaffRole },
        tenant: credentials.tenant,
      }
      signedIn(session)
      return session
    },
  })
}
