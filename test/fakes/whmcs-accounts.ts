/**
 * The client-account side of the fake WHMCS (test/fakes/whmcs-server.ts): clients, their services,
 * domains and invoices, answered through `GetClientsDetails`, `GetClientsProducts`, `GetClientsDomains` and
 * `GetInvoices` as the WHMCS API reference documents them: ids, amounts and counters as strings, lists
 * wrapped (`products.product[]`), `limitstart`/`limitnum` paging with WHMCS's default page of 25, `Client
 * Not Found` for an unknown client, `0000-00-00` for a date that is not set, and every field a real answer
 * carries, the sensitive ones included (addresses, phone, password hashes, card digits, notes, service
 * passwords), so tests can prove Draftdesk drops them.
 *
 * Shapes vary between WHMCS versions; `emptyLists` and `flattened` make the fake answer in the others:
 * an empty list as `""` (default), missing, or `{ product: [] }`; and nested answers printed flat, one
 * key per leaf (`"client[status]"`, `"invoices[invoice][0][id]"`), as the reference's examples show them.
 */

export interface FakeClient {
  id: number
  firstname: string
  lastname: string
  companyname: string
  email: string
  address1: string
  city: string
  postcode: string
  country: string
  phonenumber: string
  password: string
  notes: string
  status: string
  language: string
  currency_code: string
  cclastfour: string
  securityqans: string
}

export interface FakeService {
  id: number
  clientid: number
  pid: number
  name: string
  groupname: string
  domain: string
  status: string
  suspensionreason: string
  regdate: string
  nextduedate: string
  billingcycle: string
  servername: string
  serverip: string
  serverhostname: string
  recurringamount: string
  paymentmethod: string
  paymentmethodname: string
  username: string
  password: string
  notes: string
}

export interface FakeDomain {
  id: number
  userid: number
  domainname: string
  status: string
  regtype: string
  registrar: string
  regdate: string
  expirydate: string
  nextduedate: string
  donotrenew: string
  recurringamount: string
  paymentmethod: string
  notes: string
}

export interface FakeInvoice {
  id: number
  userid: number
  invoicenum: string
  date: string
  duedate: string
  datepaid: string
  subtotal: string
  total: string
  status: string
  paymentmethod: string
  notes: string
  currencycode: string
  currencyprefix: string
  currencysuffix: string
}

type Answer = Record<string, unknown>
export type EmptyListStyle = 'blank' | 'missing' | 'wrapped'

/** `YYYY-MM-DD`, `days` from today (UTC). */
export function dayFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)
}

/** The accounts of the fake WHMCS, seedable per client. */
export class FakeAccounts {
  readonly clients = new Map<number, FakeClient>()
  readonly services: FakeService[] = []
  readonly domains: FakeDomain[] = []
  readonly invoices: FakeInvoice[] = []
  /** How an empty list is answered. */
  emptyLists: EmptyListStyle = 'blank'
  /** Answer flattened, as the reference's examples print it. */
  flattened = false
  #nextId = 1

  addClient(input: Partial<FakeClient> & { id: number }): FakeClient {
    const client: FakeClient = {
      firstname: 'Test',
      lastname: `Client ${input.id}`,
      companyname: '',
      email: `client${input.id}@example.net`,
      address1: `${input.id} Test Street`,
      city: 'Testville',
      postcode: 'TE5 5ST',
      country: 'GB',
      phonenumber: '01234567890',
      password: '$2y$10$17X1fBPpamALcMA9KMiFneH4FYpMkkmFGDxlkxbjGeSnfH8sLqixa',
      notes: '',
      status: 'Active',
      language: '',
      currency_code: 'USD',
      cclastfour: '4242',
      securityqans: 'my first pet',
      ...input,
    }
    this.clients.set(client.id, client)
    return client
  }

  addService(clientid: number, input: Partial<FakeService> = {}): FakeService {
    const service: FakeService = {
      id: this.#nextId++,
      clientid,
      pid: 1,
      name: 'Starter',
      groupname: 'Shared Hosting',
      domain: '',
      status: 'Active',
      suspensionreason: '',
      regdate: dayFromToday(-300),
      nextduedate: dayFromToday(30),
      billingcycle: 'Monthly',
      servername: 'Saturn',
      serverip: '192.0.2.10',
      serverhostname: 'saturn.example.com',
      recurringamount: '12.95',
      paymentmethod: 'stripe',
      paymentmethodname: 'Credit Card',
      username: 'cpuser',
      password: 'service-password-xyz',
      notes: 'admin note about this service',
      ...input,
    }
    this.services.push(service)
    return service
  }

  addDomain(userid: number, input: Partial<FakeDomain> = {}): FakeDomain {
    const domain: FakeDomain = {
      id: this.#nextId++,
      userid,
      domainname: 'example.com',
      status: 'Active',
      regtype: 'Register',
      registrar: 'enom',
      regdate: dayFromToday(-300),
      expirydate: dayFromToday(65),
      nextduedate: dayFromToday(51),
      donotrenew: '0',
      recurringamount: '9.95',
      paymentmethod: 'stripe',
      notes: '',
      ...input,
    }
    this.domains.push(domain)
    return domain
  }

  addInvoice(userid: number, input: Partial<FakeInvoice> = {}): FakeInvoice {
    const id = this.#nextId++
    const invoice: FakeInvoice = {
      id,
      userid,
      invoicenum: '',
      date: dayFromToday(-20),
      duedate: dayFromToday(-13),
      datepaid: '0000-00-00 00:00:00',
      subtotal: '12.95',
      total: '12.95',
      status: 'Unpaid',
      paymentmethod: 'stripe',
      notes: 'internal invoice note',
      currencycode: 'USD',
      currencyprefix: '$',
      currencysuffix: ' USD',
      ...input,
    }
    this.invoices.push(invoice)
    return invoice
  }

  /** The answer to one of the four account actions, or undefined for any other action. */
  dispatch(action: string, p: Record<string, string>): Answer | undefined {
    const answer = this.#answer(action, p)
    return answer && this.flattened ? flatten(answer) : answer
  }

  #answer(action: string, p: Record<string, string>): Answer | undefined {
    switch (action) {
      case 'GetClientsDetails':
        return this.#details(p)
      case 'GetClientsProducts':
        return this.#products(p)
      case 'GetClientsDomains':
        return this.#domainList(p)
      case 'GetInvoices':
        return this.#invoiceList(p)
      default:
        return undefined
    }
  }

  #details(p: Record<string, string>): Answer {
    const client = p.clientid
      ? this.clients.get(Number(p.clientid))
      : [...this.clients.values()].find((c) => c.email === p.email)
    if (!p.clientid && !p.email) return { result: 'error', message: 'Either clientid Or email Is Required' }
    if (!client) return { result: 'error', message: 'Client Not Found' }
    const full = {
      ...stringify(client),
      userid: String(client.id),
      id: String(client.id),
      fullname: `${client.firstname} ${client.lastname}`,
      phonenumberformatted: `+44.${client.phonenumber}`,
      cctype: 'Visa',
      twofaenabled: '',
      credit: '0.00',
    }
    const services = this.services.filter((s) => s.clientid === client.id)
    return {
      result: 'success',
      // The client at the top level too: deprecated, but still what WHMCS sends.
      ...full,
      client: full,
      ...(truthy(p.stats)
        ? { stats: { productsnumtotal: String(services.length), numactivedomains: '0', income: '$0.00 USD' } }
        : {}),
    }
  }

  #products(p: Record<string, string>): Answer {
    const rows = this.services.filter(
      (s) =>
        (!p.clientid || s.clientid === Number(p.clientid)) &&
        (!p.serviceid || s.id === Number(p.serviceid)) &&
        (!p.pid || s.pid === Number(p.pid)) &&
        (!p.domain || s.domain === p.domain),
    )
    const page = paged(rows, p)
    return {
      result: 'success',
      clientid: p.clientid ?? null,
      serviceid: p.serviceid ?? null,
      pid: p.pid ?? null,
      domain: p.domain ?? null,
      ...page.counts,
      ...this.#list(
        'products',
        'product',
        page.rows.map((s) => ({
          ...stringify(s),
          qty: '1',
          orderid: String(s.id),
          translated_name: s.name,
          translated_groupname: s.groupname,
          firstpaymentamount: s.recurringamount,
          dedicatedip: '',
          assignedips: '',
          overidesuspenduntil: '0000-00-00',
          customfields: { customfield: [] },
          configoptions: { configoption: [] },
        })),
      ),
    }
  }

  #domainList(p: Record<string, string>): Answer {
    const rows = this.domains.filter(
      (d) =>
        (!p.clientid || d.userid === Number(p.clientid)) &&
        (!p.domainid || d.id === Number(p.domainid)) &&
        (!p.domain || d.domainname === p.domain),
    )
    const page = paged(rows, p)
    return {
      result: 'success',
      clientid: p.clientid ?? '',
      domainid: p.domainid ?? '',
      ...page.counts,
      ...this.#list(
        'domains',
        'domain',
        page.rows.map((d) => ({
          ...stringify(d),
          orderid: String(d.id),
          regperiod: '1',
          firstpaymentamount: d.recurringamount,
          paymentmethodname: 'Credit Card',
          dnsmanagement: '0',
          emailforwarding: '0',
          idprotection: '0',
        })),
      ),
    }
  }

  #invoiceList(p: Record<string, string>): Answer {
    const today = dayFromToday(0)
    const rows = this.invoices.filter((i) => {
      if (p.userid && i.userid !== Number(p.userid)) return false
      // "Overdue" is no stored status: WHMCS finds unpaid invoices past their due date.
      if (p.status === 'Overdue') return i.status === 'Unpaid' && i.duedate < today
      return !p.status || i.status === p.status
    })
    const page = paged(rows, p)
    const client = (id: number) => this.clients.get(id)
    return {
      result: 'success',
      ...page.counts,
      ...this.#list(
        'invoices',
        'invoice',
        page.rows.map((i) => ({
          ...stringify(i),
          firstname: client(i.userid)?.firstname ?? '',
          lastname: client(i.userid)?.lastname ?? '',
          companyname: client(i.userid)?.companyname ?? '',
          credit: '0.00',
          tax: '0.00',
          tax2: '0.00',
          taxrate: '0.00',
          taxrate2: '0.00',
        })),
      ),
    }
  }

  #list(key: string, row: string, rows: Answer[]): Answer {
    if (rows.length > 0) return { [key]: { [row]: rows } }
    if (this.emptyLists === 'missing') return {}
    return { [key]: this.emptyLists === 'wrapped' ? { [row]: [] } : '' }
  }
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}

/** Every number as a string, as older WHMCS versions send them. */
function stringify(row: object): Answer {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]))
}

/** WHMCS paging: `limitstart` (default 0), `limitnum` (default 25); counters partly as strings. */
function paged<T>(rows: T[], p: Record<string, string>) {
  const start = Math.max(0, Number.parseInt(p.limitstart ?? '0', 10) || 0)
  const num = Number.parseInt(p.limitnum ?? '25', 10) || 25
  const page = rows.slice(start, start + num)
  return {
    rows: page,
    counts: { totalresults: String(rows.length), startnumber: start, numreturned: page.length },
  }
}

/** One key per leaf, `a[b][0][c]`, as the API reference prints nested answers. */
function flatten(answer: Answer): Answer {
  const out: Answer = {}
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}[${k}]` : k)
    } else {
      out[path] = value
    }
  }
  walk(answer, '')
  return out
}
