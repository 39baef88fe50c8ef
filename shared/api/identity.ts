import * as z from 'zod'
import { roleSchema } from '../auth/roles.ts'
import { email, id, idParams, jsonObject, pageQuery, password, patchBody, tenantScope } from './common.ts'

const slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/, 'lowercase letters, digits and dashes')

/**
 * A WHMCS base URL: http(s) only, and no `user:pass@` (credentials go in whmcsIdentifier/whmcsSecret,
 * which are encrypted; a URL is stored and shown in clear).
 */
const whmcsUrl = z
  .url({ protocol: /^https?$/, error: 'an http(s) URL' })
  .max(500)
  .refine((u) => {
    // Refinements run even after the url check failed: a non-URL must not throw here.
    const parsed = URL.canParse(u) ? new URL(u) : null
    return !parsed || (parsed.username === '' && parsed.password === '')
  }, 'must not contain a user name or password')

/** Customer-facing accounts cannot be created as superadmin through the API. */
const assignableRole = roleSchema.refine((r) => r !== 'superadmin', 'superadmin cannot be assigned')

const role = z.enum(['user', 'support_agent', 'admin', 'superadmin'])

export const identityContract = {
  'POST /auth/login': {
    public: true,
    status: 200,
    summary: 'Log in with tenant slug, email and password; returns a JWT',
    body: z.object({ tenant: slug, email, password: z.string().min(1).max(200) }).strict(),
    response: z.object({
      token: z.string(),
      expiresAt: z.date(),
      user: z.object({
        id: z.number().int(),
        tenantId: z.number().int(),
        email: z.string(),
        fullName: z.string().nullable(),
        role,
      }),
    }),
  },
  'GET /me': { summary: 'The current user or API key' },
  'POST /tenants': {
    summary: 'Create a tenant (superadmin); returns its webhook secret once',
    body: z.object({ name: z.string().trim().min(1).max(255), slug }).strict(),
  },
  'GET /tenants': { summary: 'List tenants (superadmin)', query: pageQuery },
  'PATCH /tenants/{id}': {
    summary: 'Update a tenant and its WHMCS connection (secrets are write-only)',
    params: idParams,
    body: patchBody({
      name: z.string().trim().min(1).max(255),
      isActive: z.boolean(),
      settings: jsonObject(),
      whmcsUrl: whmcsUrl.nullable(),
      whmcsIdentifier: z.string().min(1).max(500),
      whmcsSecret: z.string().min(1).max(500),
      whmcsAccessKey: z.string().min(1).max(500).nullable(),
      whmcsAdminUsername: z.string().min(1).max(100).nullable(),
    }),
  },
  'POST /tenants/{id}/webhook-secret': {
    status: 200,
    summary: 'Rotate the tenant webhook secret; the new one is shown once',
    params: idParams,
  },
  'POST /users': {
    summary: 'Create a user in your tenant (admin) or any tenant (superadmin with tenantId)',
    body: z
      .object({ email, password, fullName: z.string().trim().max(255).optional(), role: assignableRole })
      .extend(tenantScope.shape)
      .strict(),
  },
  'GET /users': { summary: 'List users', query: pageQuery.extend(tenantScope.shape) },
  'PATCH /users/{id}': {
    summary: 'Update a user',
    params: idParams,
    body: patchBody({
      password,
      fullName: z.string().trim().max(255).nullable(),
      role: assignableRole,
      isActive: z.boolean(),
    }),
  },
  'POST /api-keys': {
    summary: 'Create a machine API key; the key is shown once',
    body: z
      .object({ name: z.string().trim().min(1).max(255), role: assignableRole.default('support_agent') })
      .strict(),
  },
  'GET /api-keys': { summary: 'List API keys (never the keys themselves)', query: pageQuery },
  'DELETE /api-keys/{id}': { status: 204, summary: 'Revoke an API key', params: z.object({ id }) },
} as const
