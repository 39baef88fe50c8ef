/**
 * Schemas of the four WHMCS actions account facts read (issue 30): `GetClientsDetails`,
 * `GetClientsProducts`, `GetClientsDomains` and `GetInvoices`, after the WHMCS API reference.
 *
 * WHMCS is loose with types, so parsing normalises rather than rejects: numbers arrive as strings, lists
 * wrapped (`products.product[]`), a single row as a bare object, an empty list as `""`, `[]` or missing,
 * dates as `0000-00-00` for "none", and the reference's examples print nested arrays flattened
 * (`"client[status]"`, `"invoices[invoice][0][id]"`), which {@link unflatten} reads too.
 *
 * Only the fields a hosting agent looks at are kept. Everything else (street addresses, phone numbers,
 * e-mail, card and payment details, passwords, security answers, notes, custom fields) is dropped here, at
 * parse time, so it never leaves the HTTP response: not into the cache, a log, a prompt or a draft.
 */
import * as z from 'zod'
import type { AccountClient, AccountDomain, AccountInvoice, AccountService } from '../drafts/account-facts.ts'

const int = z.union([z.number(), z.string().regex(/^\s*-?\d+\s*$/)]).transform(Number)
const count = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((v) => {
    const n = Number(v ?? 0)
    return Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : 0
  })
const text = (max: number) =>
  z
    .union([z.string(), z.number(), z.boolean()])
    .nullish()
    .transform((v) =>
      v === null || v === undefined ? '' : String(v).replace(/\s+/g, ' ').trim().slice(0, max),
    )
/** `YYYY-MM-DD`, or null for WHMCS's `0000-00-00`, an empty value or anything that is no date. */
const date = z
  .unknown()
  .optional()
  .transform((v) => {
    const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})/.exec(v.trim()) : null
    if (!m || m[1] === '0000' || m[2] === '00' || m[3] === '00') return null
    return `${m[1]}-${m[2]}-${m[3]}`
  })
/** A money amount as WHMCS writes it (`"12.95"`); null when missing or not a number. */
const amount = z
  .unknown()
  .optional()
  .transform((v) => {
    const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : ''
    return /^-?\d+(?:\.\d+)?$/.test(s) ? s : null
  })
/** A host name as a service or domain carries it: lower-cased, no `www.`, no trailing dot; else empty. */
const host = z
  .unknown()
  .optional()
  .transform((v) => {
    const s = typeof v === 'string' ? v.trim().toLowerCase().replace(/\.$/, '') : ''
    // Letters, digits, hyphens and dots only: anything else is not a domain and is not passed on.
    return /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}\p{N}-]{2,63}$/u.test(s)
      ? s.replace(/^www\./, '')
      : ''
  })
const flag = z
  .unknown()
  .optional()
  .transform((v) => {
    if (v === undefined || v === null || v === '') return null
    return v === true || v === 1 || v === '1' || v === 'on' || v === 'true'
  })

/** Unwraps `{ product: [...] }` / `{ product: {...} }` / `[]` / `""` / missing into an array of rows. */
function listIn(key: string) {
  return (container: unknown): unknown[] => {
    if (container === null || container === undefined || typeof container !== 'object') return []
    if (Array.isArray(container)) return container
    const inner = (container as Record<string, unknown>)[key]
    if (inner === null || inner === undefined || inner === '') return []
    if (Array.isArray(inner)) return inner
    // PHP arrays with numeric keys can come out as objects: `{ "0": {...}, "1": {...} }`.
    if (typeof inner === 'object' && Object.keys(inner).every((k) => /^\d+$/.test(k)))
      return Object.values(inner as Record<string, unknown>)
    return [inner]
  }
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * The API reference prints nested answers flattened, one key per leaf (`"client[status]": "Active"`,
 * `"invoices[invoice][0][id]": "1"`). Such keys are folded back into nested objects, so either form parses.
 * @internal
 */
export function unflatten(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])+)$/.exec(key)
    if (!m) {
      if (!Object.hasOwn(out, key)) out[key] = value
      continue
    }
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((p) => p[1]!)]
    // A hostile answer must not reach Object.prototype through `__proto__[x]`.
    if (path.some((part) => UNSAFE_KEYS.has(part))) continue
    let node = out
    for (const [i, part] of path.entries()) {
      if (i === path.length - 1) {
        node[part] = value
        break
      }
      // Numeric keys make an object (`{ "0": {...} }`), which listIn reads as a list.
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {}
      node = node[part] as Record<string, unknown>
    }
  }
  return out
}
const unflattened = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? unflatten(v as Record<string, unknown>) : v

const clientSchema = z
  .object({
    id: int.optional(),
    userid: int.optional(),
    status: text(40),
    companyname: text(200),
    language: text(40),
  })
  .transform((c): Omit<AccountClient, 'id'> & { id: number | undefined } => ({
    id: c.id ?? c.userid,
    status: c.status,
    company: c.companyname,
    // A WHMCS language setting is a word (`german`, `portuguese-br`); anything else is not passed on.
    language: /^[a-z][a-z_-]{1,30}$/i.test(c.language) ? c.language.toLowerCase() : '',
  }))

/** `GetClientsDetails`: the client under `client`, or (deprecated, older installs) at the top level. */
export const getClientsDetailsSchema = z.preprocess(
  unflattened,
  z.looseObject({ client: z.unknown().optional() }).transform((answer, ctx): AccountClient => {
    const source = typeof answer.client === 'object' && answer.client !== null ? answer.client : answer
    const parsed = clientSchema.safeParse(source)
    if (!parsed.success || parsed.data.id === undefined) {
      ctx.addIssue({ code: 'custom', message: 'no client id in the answer' })
      return z.NEVER
    }
    return { ...parsed.data, id: parsed.data.id }
  }),
)

const serviceSchema = z
  .object({
    id: int,
    name: text(200),
    translated_name: text(200),
    groupname: text(200),
    domain: host,
    status: text(40),
    suspensionreason: text(200),
    nextduedate: date,
    billingcycle: text(40),
    servername: text(100),
    recurringamount: amount,
  })
  .transform(
    (s): AccountService => ({
      id: s.id,
      product: s.translated_name || s.name,
      group: s.groupname,
      domain: s.domain,
      status: s.status,
      suspensionReason: s.status === 'Suspended' ? s.suspensionreason : '',
      nextDueDate: s.nextduedate,
      billingCycle: s.billingcycle,
      server: s.servername,
      recurringAmount: s.recurringamount,
    }),
  )

const domainSchema = z
  .object({
    id: int,
    domainname: host,
    domain: host,
    status: text(40),
    expirydate: date,
    nextduedate: date,
    donotrenew: flag,
    regtype: text(40),
  })
  .transform(
    (d): AccountDomain => ({
      id: d.id,
      domain: d.domainname || d.domain,
      status: d.status,
      expiryDate: d.expirydate,
      nextDueDate: d.nextduedate,
      autoRenew: d.donotrenew === null ? null : !d.donotrenew,
      registrationType: d.regtype,
    }),
  )

const invoiceSchema = z
  .object({
    id: int,
    invoicenum: text(60),
    status: text(40),
    date: date,
    duedate: date,
    total: amount,
    balance: amount,
    currencycode: text(10),
    currencyprefix: text(10),
    currencysuffix: text(10),
  })
  .transform(
    (i): AccountInvoice => ({
      id: i.id,
      number: i.invoicenum || String(i.id),
      status: i.status,
      date: i.date,
      dueDate: i.duedate,
      total: i.total ?? '0.00',
      balance: i.balance,
      currency: i.currencycode || i.currencysuffix || i.currencyprefix,
    }),
  )

/** A paged list answer: `totalresults` and the rows under `<list>.<row>`. */
function pageSchema<T>(list: string, row: string, rowSchema: z.ZodType<T>) {
  return z.preprocess(
    (value) => {
      const answer = unflattened(value)
      const o = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>
      return { totalresults: o.totalresults, numreturned: o.numreturned, rows: listIn(row)(o[list]) }
    },
    z.object({ totalresults: count, numreturned: count, rows: z.array(z.unknown()) }).transform((answer) => {
      const rows = answer.rows.flatMap((r) => {
        // One odd row (a service without an id) is skipped, not the client's whole account.
        const parsed = rowSchema.safeParse(r)
        return parsed.success ? [parsed.data] : []
      })
      return { total: Math.max(answer.totalresults, rows.length), returned: answer.numreturned, rows }
    }),
  )
}

/** `GetClientsProducts`: a page of the client's services. */
export const getClientsProductsSchema = pageSchema('products', 'product', serviceSchema)
/** `GetClientsDomains`: a page of the client's domains. */
export const getClientsDomainsSchema = pageSchema('domains', 'domain', domainSchema)
/** `GetInvoices`: a page of the client's invoices of one status. */
export const getInvoicesSchema = pageSchema('invoices', 'invoice', invoiceSchema)
