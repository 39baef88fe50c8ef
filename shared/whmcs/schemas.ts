/**
 * WHMCS response schemas and the types they produce. WHMCS is loose with types (ids as strings or
 * numbers, single-element lists as bare objects, empty lists as `[]` or missing), so parsing normalises
 * rather than rejects. The client (client.ts) parses every answer through these.
 */
import * as z from 'zod'

const int = z.union([z.number(), z.string().regex(/^-?\d+$/)]).transform(Number)
const optInt = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? 0 : Number(v)))
  .pipe(z.number().int())
const text = z
  .union([z.string(), z.number(), z.boolean()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? '' : String(v)))

/** Unwraps WHMCS's `{ reply: [...] }` / `{ reply: {...} }` / `[]` / missing list containers. */
function listIn(key: string) {
  return (container: unknown): unknown[] => {
    if (container === null || container === undefined || container === '') return []
    if (Array.isArray(container)) return container
    if (typeof container !== 'object') return []
    const inner = (container as Record<string, unknown>)[key]
    if (inner === null || inner === undefined) return []
    return Array.isArray(inner) ? inner : [inner]
  }
}

const ticketSummarySchema = z.object({
  id: int,
  tid: text,
  deptid: int,
  deptname: text,
  userid: optInt,
  name: text,
  email: text,
  date: text,
  subject: text,
  status: text,
  priority: text,
  lastreply: text,
  flag: optInt,
})

const replySchema = z.object({
  replyid: int,
  userid: optInt,
  contactid: optInt,
  name: text,
  email: text,
  date: text,
  message: text,
  admin: text,
  attachment: text,
})

const noteSchema = z.object({
  noteid: int,
  date: text,
  message: text,
  admin: text,
  attachment: text,
})

export const getTicketsSchema = z.object({
  totalresults: optInt,
  startnumber: optInt,
  numreturned: optInt,
  tickets: z.preprocess(listIn('ticket'), z.array(ticketSummarySchema)),
})

export const getTicketSchema = z.object({
  ticketid: int,
  tid: text,
  c: text,
  deptid: int,
  deptname: text,
  userid: optInt,
  contactid: optInt,
  name: text,
  email: text,
  cc: text,
  date: text,
  subject: text,
  status: text,
  priority: text,
  admin: text,
  lastreply: text,
  flag: optInt,
  service: text,
  replies: z.preprocess(listIn('reply'), z.array(replySchema)),
  notes: z.preprocess(listIn('note'), z.array(noteSchema)),
})

const departmentSchema = z.object({
  id: int,
  name: text,
  awaitingreply: optInt,
  opentickets: optInt,
})

export const getSupportDepartmentsSchema = z.object({
  totalresults: optInt,
  departments: z.preprocess(listIn('department'), z.array(departmentSchema)),
})

/** A row of `GetTickets` (no message bodies). Dates are WHMCS strings; see `parseWhmcsDate`. */
export type WhmcsTicketSummary = z.infer<typeof ticketSummarySchema>
/** `GetTicket` with `replies` and `notes` always normalised to arrays (oldest first by default). */
export type WhmcsTicket = z.infer<typeof getTicketSchema>
export type WhmcsTicketList = z.infer<typeof getTicketsSchema>
export type WhmcsDepartment = z.infer<typeof departmentSchema>
