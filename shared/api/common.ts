import * as z from 'zod'

/** Path id: a positive integer. Anything else is a 400, not a database error. */
export const id = z.coerce.number().int().positive().max(2_147_483_647)
export const idParams = z.object({ id })

/** Keyset pagination: `cursor` is the last id of the previous page, opaque to clients. */
export const pageQuery = z.object({
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .transform((c, ctx) => {
      const n = Number(Buffer.from(c, 'base64url').toString('utf8'))
      if (!Number.isInteger(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: 'invalid cursor' })
        return z.NEVER
      }
      return n
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

/** Builds `{ items, nextCursor }` from a page fetched with `limit + 1` rows. */
export function page<T extends { id: number | string }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  const nextCursor = rows.length > limit && last ? Buffer.from(String(last.id)).toString('base64url') : null
  return { items, nextCursor }
}

/** Optional `tenantId` a superadmin adds to act on another tenant. */
export const tenantScope = z.object({ tenantId: id.optional() })

export const email = z.string().trim().toLowerCase().email().max(255)
export const password = z.string().min(8, 'at least 8 characters').max(200)
