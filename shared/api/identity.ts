import * as z from 'zod'
import { roleSchema } from '../auth/roles.ts'
import { accountFactsSettingsBody } from './account.ts'
import {
  email,
  id,
  idParams,
  jsonObject,
  noContent,
  pageOf,
  pageQuery,
  password,
  patchBody,
  rowId,
  tenantScope,
} from './common.ts'

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

// Responses. Roles are answered as stored (seed 000's `agent` is read as `support_agent`).

const tenant = z.object({
  id: rowId,
  name: z.string(),
  slug: z.string(),
  settings: z.record(z.string(), z.unknown()),
  isActive: z.boolean(),
  whmcsUrl: z.string().nullable(),
  whmcsAdminUsername: z.string().nullable(),
  whmcsConfigured: z.boolean().describe('a WHMCS URL and API credentials are saved (they are never shown)'),
  createdAt: z.date(),
  updatedAt: z.date(),
})
const webhookSecret = z.string().describe('shown once; rotate it if lost')

const user = z.object({
  id: rowId,
  tenantId: rowId,
  email: z.string(),
  fullName: z.string().nullable(),
  role: roleSchema,
  isActive: z.boolean(),
  lastLoginAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
})

const apiKey = z.object({
  id: rowId,
  name: z.string(),
  prefix: z.string().describe('the first characters of the key, to tell keys apart'),
  role: roleSchema,
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  createdAt: z.date(),
})

const login = z.object({
  token: z.string().describe('a JWT for `authorization: Bearer …`'),
  expiresAt: z.date(),
  user: user.pick({ id: true, tenantId: true, email: true, fullName: true, role: true }),
})

const me = z.discriminatedUnion('kind', [
  user.extend({ kind: z.literal('user') }).meta({ title: 'A logged-in user' }),
  z
    .object({ kind: z.literal('api_key'), apiKeyId: rowId, tenantId: rowId, role: roleSchema })
    .meta({ title: 'An API key' }),
])

/** A tenant's `settings.accountFacts`, when given, is held to the schema its own route validates with. */
function validAccountFacts(settings: Record<string, unknown>, ctx: z.RefinementCtx) {
  if (settings.accountFacts === undefined) return
  const parsed = accountFactsSettingsBody.safeParse(settings.accountFacts)
  for (const issue of parsed.error?.issues ?? [])
    ctx.addIssue({ code: 'custom', path: ['accountFacts', ...issue.path], message: issue.message })
}

export const identityContract = {
  'POST /auth/login': {
    public: true,
    status: 200,
    summary: 'Log in with tenant slug, email and password; returns a JWT',
    body: z.object({ tenant: slug, email, password: z.string().min(1).max(200) }).strict(),
    response: login,
  },
  'GET /me': { summary: 'The current user or API key', response: me },
  'POST /tenants': {
    summary: 'Create a tenant (superadmin); returns its webhook secret once',
    body: z.object({ name: z.string().trim().min(1).max(255), slug }).strict(),
    response: tenant.extend({ webhookSecret }),
  },
  'GET /tenants': { summary: 'List tenants (superadmin)', query: pageQuery, response: pageOf(tenant) },
  'PATCH /tenants/{id}': {
    summary: 'Update a tenant and its WHMCS connection (secrets are write-only)',
    params: idParams,
    body: patchBody({
      name: z.string().trim().min(1).max(255),
      isActive: z.boolean(),
      settings: jsonObject().superRefine(validAccountFacts),
      whmcsUrl: whmcsUrl.nullable(),
      whmcsIdentifier: z.string().min(1).max(500),
      whmcsSecret: z.string().min(1).max(500),
      whmcsAccessKey: z.string().min(1).max(500).nullable(),
      whmcsAdminUsername: z.string().min(1).max(100).nullable(),
    }),
    response: tenant,
  },
  'POST /tenants/{id}/webhook-secret': {
    status: 200,
    summary: 'Rotate the tenant webhook secret; the new one is shown once',
    params: idParams,
    response: z.object({ webhookSecret }),
  },
  'POST /users': {
    summary: 'Create a user in your tenant (admin) or any tenant (superadmin with tenantId)',
    body: z
      .object({ email, password, fullName: z.string().trim().max(255).optional(), role: assignableRole })
      .extend(tenantScope.shape)
      .strict(),
    response: user,
  },
  'GET /users': { summary: 'List users', query: pageQuery.extend(tenantScope.shape), response: pageOf(user) },
  'PATCH /users/{id}': {
    summary: 'Update a user',
    params: idParams,
    body: patchBody({
      password,
      fullName: z.string().trim().max(255).nullable(),
      role: assignableRole,
      isActive: z.boolean(),
    }),
    response: user,
  },
  'POST /api-keys': {
    summary: 'Create a machine API key; the key is shown once',
    body: z
      .object({ name: z.string().trim().min(1).max(255), role: assignableRole.default('support_agent') })
      .strict(),
    response: apiKey.extend({ key: z.string().describe('the key itself, shown once (`x-api-key` header)') }),
  },
  'GET /api-keys': {
    summary: 'List API keys (never the keys themselves)',
    query: pageQuery,
    response: pageOf(apiKey),
  },
  'DELETE /api-keys/{id}': {
    status: 204,
    summary: 'Revoke an API key',
    params: z.object({ id }),
    response: noContent,
  },
} as const
