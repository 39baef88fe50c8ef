/** Roles in words. */
export const ROLE_NAMES: Record<string, string> = {
  user: 'Customer',
  support_agent: 'Agent',
  admin: 'Admin',
  superadmin: 'Superadmin',
}
