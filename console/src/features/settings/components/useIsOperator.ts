import { hasRole, useSession } from '../../../lib/session.ts'

/** Whether the signed-in user may change tenant-level settings (superadmin). */
export const useIsOperator = () => hasRole(useSession(), 'superadmin')
