import * as z from 'zod'
import { findUnsafeInput } from '../http/safe-input.ts'

/** Largest Postgres `integer`: ids and counters above it are a 400, not an "out of range" 500. */
const MAX_INT = 2_147_483_647

/**
 * An integer in [min, max] from a path, query string or JSON body: a JSON integer, or a string of decimal
 * digits. No coercion: `0x10`, `1e1`, ` 1`, `1.0` and `+1` are 400s, never 16, 10 or 1.
 */
export const intParam = (min: number, max: number) =>
  z
    .union([
      z.number().int(),
      z
        .string()
        .regex(/^\d{1,16}$/, 'decimal digits only')
        .transform(Number),
    ])
    .pipe(z.number().int().min(min).max(max))

/** Path id: a positive integer. Anything else is a 400, not a database error. */
export const id = intParam(1, MAX_INT)
export const idParams = z.object({ id })

/**
 * Keyset cursor: the last id of the previous page, base64url-encoded and opaque to clients. Anything that
 * does not decode to decimal digits in 1..max is a 400 (`bigint` tables pass a larger max).
 */
export const cursor = (max: number) =>
  z
    .string()
    .max(32)
    .regex(/^[A-Za-z0-9_-]+$/)
    .transform((c, ctx) => {
      const text = Buffer.from(c, 'base64url').toString('utf8')
      const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN
      if (!Number.isSafeInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: 'invalid cursor' })
        return z.NEVER
      }
      return n
    })

/**
 * Keyset pagination of tables with `integer` ids. Query schemas are strict like bodies: a misspelt
 * parameter (`needsreview=true`) is a 400, not silently ignored.
 */
export const pageQuery = z.strictObject({
  cursor: cursor(MAX_INT).optional(),
  limit: intParam(1, 200).default(50),
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

/** The instants the API accepts: [1970-01-01, 10000-01-01) UTC, inside what Postgres and JSON both store. */
const MIN_INSTANT = new Date(Date.UTC(1970, 0, 1))
const MAX_INSTANT = new Date('9999-12-31T23:59:59.999Z')

/**
 * The one date/time input of the API: an ISO date (`2025-01-31`, UTC midnight) or a date-time with `Z` or
 * an offset, a real calendar day (`2026-02-30` is a 400), within {@link MIN_INSTANT}..{@link MAX_INSTANT}.
 * Well-formed is not enough: Postgres refuses year 0 (which `0001-01-01T00:00+01:00` also lands in), and a
 * year past 9999 serialises as `+010000-…`, which it cannot parse; both were 500s. Declared as strings so
 * the OpenAPI document says what to send.
 */
export const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((s) => new Date(s))
  .refine((d) => d >= MIN_INSTANT && d <= MAX_INSTANT, 'a date between 1970-01-01 and 9999-12-31 (UTC)')

/** Optional `tenantId` a superadmin adds to act on another tenant. */
export const tenantScope = z.strictObject({ tenantId: id.optional() })

/**
 * A PATCH body: every field optional, no unknown field, and at least one field (`{}` is a 400 "nothing to
 * update", not a silent no-op 200).
 */
export const patchBody = <S extends z.ZodRawShape>(shape: S) =>
  z
    .object(shape)
    .partial()
    .strict()
    .refine((b) => Object.keys(b).length > 0, 'nothing to update')

/**
 * A free-form JSON object (tenant settings): at most `maxDepth` levels and `maxBytes` of JSON, so what is
 * stored stays small enough to load on every draft.
 */
export const jsonObject = (maxBytes = 64 * 1024, maxDepth = 16) =>
  z.record(z.string().max(200), z.unknown()).superRefine((value, ctx) => {
    // Depth first: measuring the size of a very deep value would itself recurse that deep.
    if (findUnsafeInput(value, maxDepth).some((i) => i.code === 'too_deep')) {
      ctx.addIssue({ code: 'custom', message: `nested deeper than ${maxDepth} levels` })
    } else if (Buffer.byteLength(JSON.stringify(value)) > maxBytes) {
      ctx.addIssue({ code: 'custom', message: `larger than ${maxBytes} bytes as JSON` })
    }
  })

export const email = z.string().trim().toLowerCase().email().max(255)
export const password = z.string().min(8, 'at least 8 characters').max(200)

// Response building blocks. Response schemas describe what handlers return (OpenAPI and the console's types
// come from them); dates are `z.date()`, which the OpenAPI document renders as date-time strings.

/** A row id in a response. */
export const rowId = z.number().int()

/** A `{ items, nextCursor }` page of a list route (see {@link page}). */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
  })

/** The success "body" of a 204 route: there is none (the OpenAPI document shows no content). */
export const noContent = z.null().meta({ description: 'No content' })

/** `{ queued: true, jobId }`: what a route that queues background work answers (202). */
export const queuedJob = z.object({
  queued: z.literal(true),
  jobId: z.string().describe('the queued job; its effects appear when a worker has run it'),
})
