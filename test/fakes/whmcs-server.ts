/**
 * A fake WHMCS: a real `node:http` server speaking the WHMCS API (`POST /includes/api.php`,
 * form-encoded, JSON answers) over an in-memory, seedable ticket store.
 *
 * Shapes follow the WHMCS developer docs and WHMCS's own behaviour: `GetTickets` orders by `lastreply`
 * descending and omits `tickets` when the page is empty, `GetTicket` lists the opening message as the
 * first `replies.reply` entry with `replyid` "0", ids and counters arrive partly as strings, and a bad
 * credential is answered with HTTP 403 and `{"result":"error","message":"Authentication Failed"}`.
 *
 * Client accounts (clients, services, domains, invoices) live in `store.accounts` (./whmcs-accounts.ts) and
 * answer `GetClientsDetails`, `GetClientsProducts`, `GetClientsDomains` and `GetInvoices`.
 *
 * Tests steer it with `failOn` (500s, hung calls, `result=error`, non-JSON), `setLatency` and
 * `respondWith` (hand-made answers, e.g. the odd shapes some WHMCS versions produce).
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeAccounts } from './whmcs-accounts.ts'

export interface FakeReply {
  replyid: number
  userid: number
  contactid: number
  name: string
  email: string
  date: string
  message: string
  /** Staff member's name for staff replies, empty for the customer. */
  admin: string
  attachment: string
  rating: number
}

export interface FakeNote {
  noteid: number
  date: string
  message: string
  admin: string
  attachment: string
}

export interface FakeTicket {
  id: number
  tid: string
  c: string
  deptid: number
  userid: number
  contactid: number
  name: string
  email: string
  cc: string
  date: string
  subject: string
  /** The opening message; WHMCS stores it on the ticket, not as a reply. */
  message: string
  status: string
  priority: string
  admin: string
  lastreply: string
  flag: number
  service: string
  replies: FakeReply[]
  notes: FakeNote[]
}

export interface FakeDepartment {
  id: number
  name: string
}

export type FakeTicketInput = Partial<Omit<FakeTicket, 'id' | 'replies' | 'notes'>> & {
  replies?: Array<Partial<Omit<FakeReply, 'replyid'>>>
}

/** Statuses WHMCS counts as "active" by default (everything but Closed). */
const ACTIVE_STATUSES = new Set(['Open', 'Answered', 'Customer-Reply', 'On Hold', 'In Progress'])
const AWAITING_REPLY_STATUSES = new Set(['Open', 'Customer-Reply'])
const SEED_STATUSES = ['Open', 'Customer-Reply', 'Answered', 'In Progress', 'On Hold']
const SEED_PRIORITIES = ['Low', 'Medium', 'High']
const SEED_TOPICS = [
  [
    'Website shows HTTP 500 after PHP upgrade',
    'Since the PHP 8.2 switch my WordPress site returns a 500 error.',
  ],
  ['Cannot send email from Outlook', 'Outlook says the SMTP server rejected my login since this morning.'],
  ['SSL certificate expired', 'Browsers warn that the certificate for my shop expired yesterday.'],
  [
    'Refund request for unused hosting',
    'I cancelled within 30 days and would like a refund of the last invoice.',
  ],
  ['Domain transfer stuck', 'The transfer of my .com domain is pending for a week now.'],
  ['DNS changes not visible', 'I changed the A record two days ago but the old IP still answers.'],
  ['Backup restore needed', 'Please restore public_html from yesterday, a plugin update broke everything.'],
  ['Disk quota exceeded', 'cPanel says my disk is full but I deleted old mail already.'],
] as const

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

function formatDate(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}`
}

/** In-memory WHMCS data. Mutations stamp dates from a clock that never repeats a second. */
export class FakeWhmcsStore {
  readonly tickets = new Map<number, FakeTicket>()
  /** Clients with their services, domains and invoices. */
  readonly accounts = new FakeAccounts()
  readonly departments: FakeDepartment[] = [
    { id: 1, name: 'Technical Support' },
    { id: 2, name: 'Billing' },
    { id: 3, name: 'Sales' },
  ]
  #nextTicketId = 1
  #nextReplyId = 1
  #nextNoteId = 1
  #lastStamp = 0

  /**
   * The current time as a WHMCS date string, strictly later than the previous stamp, so change detection
   * on `lastreply` (second resolution) never misses two updates within one real second.
   */
  stamp(): string {
    const nowSec = Math.floor(Date.now() / 1000)
    this.#lastStamp = Math.max(nowSec, this.#lastStamp + 1)
    return formatDate(new Date(this.#lastStamp * 1000))
  }

  addTicket(input: FakeTicketInput = {}): FakeTicket {
    const id = this.#nextTicketId++
    const date = input.date ?? this.stamp()
    const ticket: FakeTicket = {
      id,
      // WHMCS's default mask is six random digits; derive them from the id so they are unique and stable.
      tid: input.tid ?? String(((id * 7919) % 900_000) + 100_000),
      c: input.c ?? `c${id.toString(36).padStart(7, '0')}`,
      deptid: input.deptid ?? 1,
      userid: input.userid ?? 1000 + id,
      contactid: input.contactid ?? 0,
      name: input.name ?? `Customer ${id}`,
      email: input.email ?? `customer${id}@example.net`,
      cc: input.cc ?? '',
      date,
      subject: input.subject ?? `Ticket ${id}`,
      message: input.message ?? `Opening message of ticket ${id}`,
      status: input.status ?? 'Open',
      priority: input.priority ?? 'Medium',
      admin: input.admin ?? '',
      lastreply: input.lastreply ?? date,
      flag: input.flag ?? 0,
      service: input.service ?? '',
      replies: [],
      notes: [],
    }
    this.tickets.set(id, ticket)
    for (const reply of input.replies ?? []) this.#pushReply(ticket, reply)
    if (input.lastreply) ticket.lastreply = input.lastreply
    return ticket
  }

  /** Appends a reply without touching status or lastreply (used for seeding). */
  #pushReply(ticket: FakeTicket, input: Partial<Omit<FakeReply, 'replyid'>>): FakeReply {
    const isAdmin = Boolean(input.admin)
    const reply: FakeReply = {
      replyid: this.#nextReplyId++,
      userid: input.userid ?? (isAdmin ? 0 : ticket.userid),
      contactid: input.contactid ?? 0,
      name: input.name ?? (isAdmin ? '' : ticket.name),
      email: input.email ?? (isAdmin ? '' : ticket.email),
      date: input.date ?? this.stamp(),
      message: input.message ?? '',
      admin: input.admin ?? '',
      attachment: input.attachment ?? '',
      rating: input.rating ?? 0,
    }
    ticket.replies.push(reply)
    ticket.lastreply = reply.date
    return reply
  }

  /** Adds a reply the way WHMCS does: new lastreply, status moved to the reply's default. */
  addReply(ticketId: number, input: Partial<Omit<FakeReply, 'replyid'>>, status?: string): FakeReply {
    const ticket = this.mustGet(ticketId)
    const reply = this.#pushReply(ticket, { ...input, date: input.date ?? this.stamp() })
    ticket.status = status || (reply.admin ? 'Answered' : 'Customer-Reply')
    return reply
  }

  addNote(ticketId: number, message: string, admin: string): FakeNote {
    const ticket = this.mustGet(ticketId)
    const note: FakeNote = { noteid: this.#nextNoteId++, date: this.stamp(), message, admin, attachment: '' }
    ticket.notes.push(note)
    return note
  }

  get(ticketId: number): FakeTicket | undefined {
    return this.tickets.get(ticketId)
  }

  mustGet(ticketId: number): FakeTicket {
    const ticket = this.tickets.get(ticketId)
    if (!ticket) throw new Error(`Fake WHMCS: no ticket ${ticketId}`)
    return ticket
  }

  /**
   * Seeds `count` realistic tickets, each with `replies` replies alternating staff and customer.
   * Dates are spread one minute apart in the past so `lastreply` ordering is deterministic.
   */
  seed(count: number, options: { replies?: number; status?: string; deptid?: number } = {}): FakeTicket[] {
    const repliesPerTicket = options.replies ?? 2
    const created: FakeTicket[] = []
    const base = Date.UTC(2026, 9, 1, 8, 0, 0) // 2026-10-01 08:00:00 UTC
    for (let i = 0; i < count; i++) {
      const n = this.#nextTicketId
      const [subject, opening] = SEED_TOPICS[n % SEED_TOPICS.length]!
      const at = (minute: number) => formatDate(new Date(base + (n * 10 + minute) * 60_000))
      const replies: Array<Partial<Omit<FakeReply, 'replyid'>>> = []
      for (let r = 0; r < repliesPerTicket; r++) {
        const staff = r % 2 === 0
        replies.push(
          staff
            ? {
                admin: 'Alice Agent',
                message: `Thanks for reaching out about "${subject}". We are checking (#${n}.${r}).`,
                date: at(r + 1),
              }
            : { message: `Any news on this? (#${n}.${r})`, date: at(r + 1) },
        )
      }
      created.push(
        this.addTicket({
          subject: `${subject} [${n}]`,
          message: opening,
          date: at(0),
          status: options.status ?? SEED_STATUSES[n % SEED_STATUSES.length],
          priority: SEED_PRIORITIES[n % SEED_PRIORITIES.length],
          deptid: options.deptid ?? (n % 2) + 1,
          replies,
        }),
      )
    }
    return created
  }

  /**
   * Seeds a desk's history: answered or closed tickets, each with the customer's opening message and the
   * staff reply that answered it (by `admin`), dated `daysAgo` days back (a replay imports a window).
   */
  seedHistory(
    items: ReadonlyArray<{
      subject: string
      message: string
      reply: string
      status?: 'Answered' | 'Closed'
      daysAgo?: number
      admin?: string
    }>,
  ): FakeTicket[] {
    return items.map((item, i) => {
      const at = Date.now() - (item.daysAgo ?? 1) * 86_400_000 - i * 60_000
      const opened = formatDate(new Date(at - 30 * 60_000))
      const answered = formatDate(new Date(at))
      return this.addTicket({
        subject: item.subject,
        message: item.message,
        date: opened,
        status: item.status ?? (i % 2 === 0 ? 'Answered' : 'Closed'),
        replies: [{ admin: item.admin ?? 'Sarah Agent', message: item.reply, date: answered }],
        lastreply: answered,
      })
    })
  }

  departmentName(deptid: number): string {
    return this.departments.find((d) => d.id === deptid)?.name ?? ''
  }
}

export interface FakeCall {
  action: string
  /** Request parameters without credentials (identifier, secret, accesskey, username, password). */
  params: Record<string, string>
  /** The client gave up (closed the connection) before this call was answered: its timeout fired. */
  aborted: boolean
}

export type FailureKind = '500' | 'timeout' | 'error' | 'html'
type Predicate = (call: FakeCall) => boolean

interface FailureRule {
  predicate: Predicate
  kind: FailureKind
  remaining: number
  message: string
}

interface ResponderRule {
  predicate: Predicate
  respond: (call: FakeCall, store: FakeWhmcsStore) => unknown
  remaining: number
}

export interface StartFakeWhmcsOptions {
  identifier: string
  secret: string
  /** When set, requests must also carry this `accesskey`. */
  accessKey?: string
  /** A number seeds that many tickets; an array adds exactly those. */
  tickets?: number | FakeTicketInput[]
}

export interface FakeWhmcs {
  /** Base URL to give the client (the API lives at `${url}/includes/api.php`). */
  url: string
  store: FakeWhmcsStore
  /** Every API request received, in order, credentials stripped. */
  calls: FakeCall[]
  /**
   * Makes matching calls fail: `500` (HTTP 500 HTML page), `timeout` (never answers), `error`
   * (`result=error` with `message`), `html` (HTTP 200 non-JSON). `times` defaults to every call.
   */
  failOn(predicate: Predicate, kind: FailureKind, times?: number, message?: string): void
  /** Answers matching calls with a hand-made JSON body (once by default). */
  respondWith(predicate: Predicate, respond: ResponderRule['respond'], times?: number): void
  /**
   * Holds the next matching call until `release()`; `arrived` resolves once it is held, so a test can act
   * while the client waits on WHMCS, without guessing a delay.
   */
  hold(predicate: Predicate): { arrived: Promise<void>; release(): void }
  /** Removes every `failOn` and `respondWith` rule. */
  reset(): void
  /** Delay before every answer, e.g. to measure throughput against a slow WHMCS. */
  setLatency(ms: number): void
  seed(count: number, options?: Parameters<FakeWhmcsStore['seed']>[1]): FakeTicket[]
  addCustomerReply(ticketId: number, message: string): FakeReply
  /** Calls of one action, e.g. `callsOf('GetTicket').length`. */
  callsOf(action: string): FakeCall[]
  close(): Promise<void>
}

const CREDENTIAL_FIELDS = new Set(['identifier', 'secret', 'accesskey', 'username', 'password'])

/** Starts a fake WHMCS on a random local port. */
export async function startFakeWhmcs(options: StartFakeWhmcsOptions): Promise<FakeWhmcs> {
  const store = new FakeWhmcsStore()
  if (typeof options.tickets === 'number') store.seed(options.tickets)
  else for (const t of options.tickets ?? []) store.addTicket(t)

  const calls: FakeCall[] = []
  let failures: FailureRule[] = []
  let responders: ResponderRule[] = []
  const holds: Array<{ predicate: Predicate; arrive(): void; released: Promise<void> }> = []
  let latencyMs = 0

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `fake WHMCS crashed: ${String(error)}`)
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (req.method !== 'POST' || url.pathname !== '/includes/api.php') {
      send(res, 404, 'text/html', '<h1>Not Found</h1>')
      return
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    // WHMCS reads request variables from both the query string and the body.
    const all = new Map<string, string>([...url.searchParams, ...form])

    const identifier = all.get('identifier') ?? all.get('username')
    const secret = all.get('secret') ?? all.get('password')
    const action = all.get('action') ?? ''
    const params: Record<string, string> = {}
    for (const [key, value] of all) if (!CREDENTIAL_FIELDS.has(key) && key !== 'action') params[key] = value
    const call: FakeCall = { action, params, aborted: false }
    calls.push(call)
    res.on('close', () => {
      if (!res.writableFinished) call.aborted = true
    })
    const held = holds.findIndex((h) => h.predicate(call))
    if (held >= 0) {
      const [h] = holds.splice(held, 1)
      h!.arrive()
      await h!.released
    }

    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs))

    const authOk =
      identifier === options.identifier &&
      secret === options.secret &&
      (options.accessKey === undefined || all.get('accesskey') === options.accessKey)
    if (!authOk) {
      sendJson(res, 403, { result: 'error', message: 'Authentication Failed' })
      return
    }
    if (params.responsetype !== 'json') {
      // Without responsetype=json WHMCS answers XML.
      send(
        res,
        200,
        'text/xml',
        '<?xml version="1.0" encoding="utf-8"?><whmcsapi><result>success</result></whmcsapi>',
      )
      return
    }

    const failure = failures.find((rule) => rule.remaining > 0 && rule.predicate(call))
    if (failure) {
      failure.remaining--
      switch (failure.kind) {
        case '500':
          send(res, 500, 'text/html', '<html><body><h1>500 Internal Server Error</h1></body></html>')
          return
        case 'html':
          send(res, 200, 'text/html', '<html><body>Maintenance in progress</body></html>')
          return
        case 'error':
          sendJson(res, 200, { result: 'error', message: failure.message })
          return
        case 'timeout':
          // Never answer; the client's timeout fires and `close()` destroys the socket.
          return
      }
    }

    const responder = responders.find((rule) => rule.remaining > 0 && rule.predicate(call))
    if (responder) {
      responder.remaining--
      sendJson(res, 200, responder.respond(call, store))
      return
    }

    sendJson(res, 200, dispatch(store, action, params))
  }

  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    store,
    calls,
    hold(predicate) {
      let arrive!: () => void
      let release!: () => void
      const arrived = new Promise<void>((r) => {
        arrive = r
      })
      const released = new Promise<void>((r) => {
        release = r
      })
      holds.push({ predicate, arrive, released })
      return { arrived, release }
    },
    failOn(predicate, kind, times = Number.POSITIVE_INFINITY, message = 'Simulated WHMCS failure') {
      failures.push({ predicate, kind, remaining: times, message })
    },
    respondWith(predicate, respond, times = 1) {
      responders.push({ predicate, respond, remaining: times })
    },
    reset() {
      failures = []
      responders = []
    },
    setLatency(ms) {
      latencyMs = ms
    },
    seed: (count, seedOptions) => store.seed(count, seedOptions),
    addCustomerReply: (ticketId, message) => store.addReply(ticketId, { message }),
    callsOf: (action) => calls.filter((c) => c.action === action),
    async close() {
      // Hung ("timeout") requests would otherwise keep close() waiting forever.
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': `${contentType}; charset=utf-8` })
  res.end(body)
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body))
}

// ---------------------------------------------------------------------------------------------------
// Actions

type Answer = Record<string, unknown>

function error(message: string): Answer {
  return { result: 'error', message }
}

function dispatch(store: FakeWhmcsStore, action: string, p: Record<string, string>): Answer {
  switch (action) {
    case 'GetTickets':
      return getTickets(store, p)
    case 'GetTicket':
      return getTicket(store, p)
    case 'AddTicketReply':
      return addTicketReply(store, p)
    case 'AddTicketNote':
      return addTicketNote(store, p)
    case 'UpdateTicket':
      return updateTicket(store, p)
    case 'GetSupportDepartments':
      return getSupportDepartments(store)
    default:
      return store.accounts.dispatch(action, p) ?? error('Command Not Found')
  }
}

function intParam(value: string | undefined, fallback: number): number {
  const n = Number.parseInt(value ?? '', 10)
  return Number.isFinite(n) ? n : fallback
}

function truthy(value: string | undefined): boolean {
  // PHP truthiness of a request string.
  return value !== undefined && value !== '' && value !== '0'
}

function summary(store: FakeWhmcsStore, t: FakeTicket): Answer {
  return {
    id: t.id,
    tid: t.tid,
    // Older WHMCS versions send most integers as strings; clients must cope.
    deptid: String(t.deptid),
    deptname: store.departmentName(t.deptid),
    userid: String(t.userid),
    contactid: String(t.contactid),
    name: t.name,
    email: t.email,
    requestor_name: t.name,
    requestor_email: t.email,
    requestor_type: t.userid ? 'Owner' : 'Guest',
    cc: t.cc,
    c: t.c,
    date: t.date,
    subject: t.subject,
    status: t.status,
    priority: t.priority,
    admin: t.admin,
    attachment: '',
    lastreply: t.lastreply,
    flag: String(t.flag),
    service: t.service,
  }
}

function getTickets(store: FakeWhmcsStore, p: Record<string, string>): Answer {
  const limitstart = Math.max(0, intParam(p.limitstart, 0))
  const limitnum = intParam(p.limitnum, 25) || 25
  const deptid = intParam(p.deptid, 0)
  const clientid = intParam(p.clientid, 0)
  const status = p.status ?? ''
  const matches = [...store.tickets.values()].filter((t) => {
    if (deptid && t.deptid !== deptid) return false
    if (clientid && t.userid !== clientid) return false
    if (p.email && t.email !== p.email) return false
    if (p.subject && !t.subject.toLowerCase().includes(p.subject.toLowerCase())) return false
    if (status === 'All Active Tickets') return ACTIVE_STATUSES.has(t.status)
    if (status === 'Awaiting Reply') return AWAITING_REPLY_STATUSES.has(t.status)
    if (status === 'My Flagged Tickets') return ACTIVE_STATUSES.has(t.status) && t.flag !== 0
    return !status || t.status === status
  })
  // WHMCS: ORDER BY lastreply DESC. Ties broken by id so paging is deterministic here.
  matches.sort((a, b) => (a.lastreply === b.lastreply ? b.id - a.id : a.lastreply < b.lastreply ? 1 : -1))
  const page = matches.slice(limitstart, limitstart + limitnum)
  const answer: Answer = {
    result: 'success',
    totalresults: matches.length,
    // WHMCS echoes the request variable, hence a string.
    startnumber: String(limitstart),
    numreturned: page.length,
  }
  // WHMCS only creates the `tickets` key while looping over rows: an empty page has none.
  if (page.length > 0) answer.tickets = { ticket: page.map((t) => summary(store, t)) }
  return answer
}

function findTicket(store: FakeWhmcsStore, p: Record<string, string>): FakeTicket | undefined {
  if (p.ticketid) return store.get(intParam(p.ticketid, -1))
  if (p.ticketnum) return [...store.tickets.values()].find((t) => t.tid === p.ticketnum)
  return undefined
}

function getTicket(store: FakeWhmcsStore, p: Record<string, string>): Answer {
  const t = findTicket(store, p)
  if (!t) return error('Ticket ID Not Found')
  const opening = {
    replyid: '0',
    userid: t.userid,
    contactid: t.contactid,
    name: t.name,
    email: t.email,
    requestor_name: t.name,
    requestor_email: t.email,
    requestor_type: t.userid ? 'Owner' : 'Guest',
    date: t.date,
    message: t.message,
    attachment: '',
    attachments: [],
    attachments_removed: false,
    admin: t.admin,
  }
  const replies = t.replies.map((r) => ({
    replyid: r.replyid,
    userid: r.userid,
    contactid: r.contactid,
    name: r.name,
    email: r.email,
    requestor_name: r.name,
    requestor_email: r.email,
    requestor_type: r.admin ? 'Operator' : 'Owner',
    date: r.date,
    message: r.message,
    attachment: r.attachment,
    attachments: [],
    attachments_removed: false,
    admin: r.admin,
    rating: r.rating,
  }))
  const descending = (p.repliessort ?? '').toUpperCase() === 'DESC'
  const thread = descending ? [...replies.reverse(), opening] : [opening, ...replies]
  const notes = t.notes.map((n) => ({ ...n, attachments: [], attachments_removed: false }))
  const { id, replies: _r, notes: _n, message: _m, ...fields } = t
  return {
    result: 'success',
    ticketid: id,
    ...fields,
    deptname: store.departmentName(t.deptid),
    requestor_name: t.name,
    requestor_email: t.email,
    requestor_type: t.userid ? 'Owner' : 'Guest',
    replies: { reply: thread },
    // WHMCS initialises notes as [] and only nests them under "note" when there are some.
    notes: notes.length ? { note: descending ? notes.reverse() : notes } : [],
  }
}

function addTicketReply(store: FakeWhmcsStore, p: Record<string, string>): Answer {
  const t = findTicket(store, p)
  if (!t) return error('Ticket ID Not Found')
  if (!p.message) return error('Message is Required')
  if (p.adminusername) {
    store.addReply(t.id, { admin: p.adminusername, message: p.message, userid: 0 }, p.status)
  } else if (p.clientid) {
    store.addReply(t.id, { userid: intParam(p.clientid, t.userid), message: p.message }, p.status)
  } else {
    store.addReply(
      t.id,
      {
        userid: 0,
        name: p.name ?? 'API',
        email: p.email ?? '',
        message: p.message,
        admin: p.name ? '' : 'API',
      },
      p.status,
    )
  }
  return { result: 'success' }
}

function addTicketNote(store: FakeWhmcsStore, p: Record<string, string>): Answer {
  const t = findTicket(store, p)
  if (!t) return error('Ticket ID Not Found')
  if (!p.message) return error('Message is Required')
  store.addNote(t.id, p.message, 'API')
  return { result: 'success' }
}

function updateTicket(store: FakeWhmcsStore, p: Record<string, string>): Answer {
  const t = p.ticketid ? store.get(intParam(p.ticketid, -1)) : undefined
  if (!t) return error('Ticket ID Not Found')
  if (p.status !== undefined) t.status = p.status
  if (p.priority !== undefined) t.priority = p.priority
  if (p.subject !== undefined) t.subject = p.subject
  if (p.deptid !== undefined) {
    const deptid = intParam(p.deptid, 0)
    if (!store.departments.some((d) => d.id === deptid)) return error('Department ID Not Found')
    t.deptid = deptid
  }
  if (p.flag !== undefined) t.flag = intParam(p.flag, 0)
  if (truthy(p.removeFlag)) t.flag = 0
  return { result: 'success', ticketid: t.id }
}

function getSupportDepartments(store: FakeWhmcsStore): Answer {
  const tickets = [...store.tickets.values()]
  return {
    result: 'success',
    totalresults: store.departments.length,
    departments: {
      department: store.departments.map((d) => ({
        id: String(d.id),
        name: d.name,
        awaitingreply: String(
          tickets.filter((t) => t.deptid === d.id && AWAITING_REPLY_STATUSES.has(t.status)).length,
        ),
        opentickets: String(tickets.filter((t) => t.deptid === d.id && ACTIVE_STATUSES.has(t.status)).length),
      })),
    },
  }
}
