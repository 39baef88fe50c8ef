import { once } from 'node:events'
import { createServer as createHttpServer } from 'node:http'
import { type AddressInfo, createServer } from 'node:net'
import { inspect } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createOutboundFetch } from '#shared/http/outbound'
import { WhmcsApiError, WhmcsClient, type WhmcsClientOptions, WhmcsError } from '#shared/whmcs/client'
import { type FakeWhmcs, startFakeWhmcs } from '../fakes/whmcs-server.ts'

const identifier = 'IDENT-a1b2c3d4e5f6'
const secret = 'SECRET-f6g7h8i9j0k1'
const accessKey = 'ACCESS-k1l2m3n4'

let whmcs: FakeWhmcs

const policy = { allowedNetworks: ['127.0.0.0/8'], allowVariable: 'WHMCS_ALLOWED_NETWORKS' }
/** The guarded fetch production uses, with the fake's loopback allowed. */
const guarded = createOutboundFetch(policy)

/** Tiny backoff keeps the retry tests fast; timeouts are short only where the fake hangs or lags on purpose. */
function client(overrides: Partial<WhmcsClientOptions> = {}): WhmcsClient {
  return new WhmcsClient({
    fetch: guarded,
    url: whmcs.url,
    identifier,
    secret,
    timeoutMs: 10_000,
    retries: 3,
    minBackoffMs: 1,
    maxBackoffMs: 5,
    ...overrides,
  })
}

async function caught(promise: Promise<unknown>): Promise<WhmcsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof WhmcsError)) throw new Error(`expected a WhmcsError, got ${String(error)}`)
  return error
}

beforeAll(async () => {
  whmcs = await startFakeWhmcs({ identifier, secret, tickets: 1_000 })
})

/** A bare HTTP server on 127.0.0.1 answering every request alike, counting them. */
async function listen(status: number, type: string, body: string, headers: Record<string, string> = {}) {
  let received = 0
  const server = createHttpServer((req, res) => {
    received++
    req.resume()
    res.writeHead(status, { 'content-type': type, ...headers })
    res.end(body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

afterEach(() => {
  whmcs.reset()
  whmcs.setLatency(0)
  whmcs.calls.length = 0
})

afterAll(async () => {
  await whmcs.close()
})

describe('Function: WhmcsClient.call', () => {
  it('turns an authentication failure into a WhmcsApiError with WHMCS message, without retrying', async () => {
    // Prepare
    const wrong = client({ secret: 'not-the-secret' })
    // Act
    const error = await caught(wrong.getTickets())
    // Assess
    expect(error).toBeInstanceOf(WhmcsApiError)
    expect((error as WhmcsApiError).whmcsMessage).toBe('Authentication Failed')
    expect(error.message).toBe('WHMCS GetTickets failed: Authentication Failed')
    expect(error.action).toBe('GetTickets')
    expect(error.status).toBe(403)
    expect(whmcs.calls).toHaveLength(1)
  })

  it('posts form-encoded action and parameters with responsetype=json', async () => {
    await client().call('GetTickets', { limitstart: 5, limitnum: 2, status: 'Open', deptid: undefined })
    expect(whmcs.calls).toEqual([
      {
        action: 'GetTickets',
        params: { responsetype: 'json', limitstart: '5', limitnum: '2', status: 'Open' },
        aborted: false,
      },
    ])
  })

  it('sends the access key when configured', async () => {
    // Prepare
    const guarded = await startFakeWhmcs({ identifier, secret, accessKey, tickets: 3 })
    try {
      // Act
      const withKey = await client({ url: guarded.url, accessKey }).getTickets()
      const without = await caught(client({ url: guarded.url }).getTickets())
      // Assess
      expect(withKey.totalresults).toBe(3)
      expect(without).toBeInstanceOf(WhmcsApiError)
      expect(guarded.calls[0]?.params).not.toHaveProperty('accesskey')
    } finally {
      await guarded.close()
    }
  })

  it('accepts a base URL with a trailing slash or the full api.php URL', async () => {
    expect(client({ url: `${whmcs.url}/` }).endpoint).toBe(`${whmcs.url}/includes/api.php`)
    const full = client({ url: `${whmcs.url}/includes/api.php` })
    expect(full.endpoint).toBe(`${whmcs.url}/includes/api.php`)
    expect((await full.getTickets({ limitnum: 1 })).tickets).toHaveLength(1)
  })

  it('retries after a 500 and then succeeds', async () => {
    // Prepare
    whmcs.failOn((c) => c.action === 'GetTickets', '500', 2)
    // Act
    const list = await client().getTickets({ limitnum: 5 })
    // Assess
    expect(list.tickets).toHaveLength(5)
    expect(whmcs.callsOf('GetTickets')).toHaveLength(3)
  })

  it('gives up after the configured retries', async () => {
    // Prepare
    whmcs.failOn((c) => c.action === 'GetTickets', '500')
    // Act
    const error = await caught(client({ retries: 2 }).getTickets())
    // Assess
    expect(error.kind).toBe('http')
    expect(error.status).toBe(500)
    expect(error.retryable).toBe(true)
    expect(error.message).toMatch(/GetTickets.*HTTP 500/)
    expect(whmcs.callsOf('GetTickets')).toHaveLength(3)
  })

  it('times out a hanging call, then retries it', async () => {
    // Prepare
    whmcs.failOn((c) => c.action === 'GetTicket', 'timeout')
    // Act
    const error = await caught(client({ timeoutMs: 100, retries: 1 }).getTicket(1))
    // Assess: both attempts were abandoned by the client's timeout (the fake saw each hang up).
    expect(error.kind).toBe('timeout')
    expect(error.message).toBe('WHMCS GetTicket timed out after 100 ms')
    await expect.poll(() => whmcs.callsOf('GetTicket').map((c) => c.aborted)).toEqual([true, true])
  })

  it('recovers when only the first call hangs', async () => {
    whmcs.failOn((c) => c.action === 'GetTicket', 'timeout', 1)
    // Not tiny: the timeout must end the hung call yet never the answered retry on a loaded machine.
    const ticket = await client({ timeoutMs: 1_000 }).getTicket(2)
    expect(ticket.ticketid).toBe(2)
    expect(whmcs.callsOf('GetTicket')).toHaveLength(2)
  })

  it('counts a slow WHMCS as a timeout', async () => {
    whmcs.setLatency(200)
    const error = await caught(client({ timeoutMs: 50, retries: 0 }).getSupportDepartments())
    expect(error.kind).toBe('timeout')
  })

  it('does not retry result=error answers', async () => {
    // Prepare
    whmcs.failOn(
      (c) => c.action === 'GetTickets' && c.params.limitstart === '400',
      'error',
      1,
      'Database is locked',
    )
    // Act
    const error = await caught(client().getTickets({ limitstart: 400 }))
    // Assess
    expect(error).toBeInstanceOf(WhmcsApiError)
    expect((error as WhmcsApiError).whmcsMessage).toBe('Database is locked')
    expect(whmcs.calls).toHaveLength(1)
  })

  it('explains a non-JSON answer by status and content type, never by its body', async () => {
    // Prepare
    whmcs.failOn(() => true, 'html', 1)
    // Act
    const error = await caught(client().getTickets())
    // Assess: the body could be anything the URL reaches, and this message lands in tenant-visible logs.
    expect(error.kind).toBe('protocol')
    expect(error.retryable).toBe(false)
    expect(error.message).toBe('WHMCS GetTickets returned a non-JSON response (HTTP 200, text/html)')
    expect(whmcs.calls).toHaveLength(1)
  })

  it('keeps the text of a JSON answer that is not a WHMCS error out of its message', async () => {
    // Prepare: a 502 whose JSON is some other service's, carrying data.
    const other = await listen(502, 'application/json', '{"message":"internal token abc123"}')
    try {
      // Act
      const error = await caught(client({ url: other.url, retries: 0 }).getTickets())
      // Assess
      expect(error.message).toBe('WHMCS GetTickets failed: HTTP 502')
    } finally {
      await other.close()
    }
  })

  it('reports a refused connection as a network error', async () => {
    // Prepare: a port that was free a moment ago.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address() as { port: number }
        probe.close(() => resolve(address.port))
      })
    })
    // Act
    const error = await caught(client({ url: `http://127.0.0.1:${port}`, retries: 1 }).getTickets())
    // Assess
    expect(error.kind).toBe('network')
    expect(error.code).toBe('ECONNREFUSED')
    expect(error.message).toBe('WHMCS GetTickets network error: ECONNREFUSED')
  })
})

describe('Function: WhmcsClient.iterateTickets', () => {
  it('pages over 1,000 tickets in 40 pages, each ticket exactly once', async () => {
    // Act
    const pages = []
    for await (const page of client().iterateTickets({ status: 'All Active Tickets' })) pages.push(page)
    // Assess
    expect(pages).toHaveLength(40)
    expect(pages.map((p) => p.page)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(pages[16]).toMatchObject({ page: 17, limitstart: 400, nextLimitstart: 425, totalresults: 1_000 })
    const ids = pages.flatMap((p) => p.tickets.map((t) => t.id))
    expect(new Set(ids).size).toBe(1_000)
    expect(whmcs.callsOf('GetTickets')).toHaveLength(40)
    // WHMCS order: most recent lastreply first.
    const lastreplies = pages.flatMap((p) => p.tickets.map((t) => t.lastreply))
    expect([...lastreplies].sort().reverse()).toEqual(lastreplies)
  })

  it('resumes from a saved limitstart after a failed page', async () => {
    // Prepare: page 17 fails once.
    whmcs.failOn(
      (c) => c.action === 'GetTickets' && c.params.limitstart === '400',
      'error',
      1,
      'Simulated outage',
    )
    const seen: number[] = []
    let resumeAt = 0
    // Act
    const error = await caught(
      (async () => {
        for await (const page of client().iterateTickets({ pageSize: 25 })) {
          seen.push(...page.tickets.map((t) => t.id))
          resumeAt = page.nextLimitstart
        }
      })(),
    )
    for await (const page of client().iterateTickets({ pageSize: 25, startAt: resumeAt })) {
      seen.push(...page.tickets.map((t) => t.id))
    }
    // Assess
    expect(error).toBeInstanceOf(WhmcsApiError)
    expect(error.message).toContain('Simulated outage')
    expect(resumeAt).toBe(400)
    expect(seen).toHaveLength(1_000)
    expect(new Set(seen).size).toBe(1_000)
    expect(
      whmcs
        .callsOf('GetTickets')
        .map((c) => c.params.limitstart)
        .filter((s) => s === '0'),
    ).toHaveLength(1)
  })

  it('numbers pages from offset 0 when resuming, and stops on an empty result', async () => {
    const pages = []
    for await (const page of client().iterateTickets({ pageSize: 100, startAt: 900 })) pages.push(page)
    expect(pages.map((p) => [p.page, p.limitstart])).toEqual([[10, 900]])
    const none = []
    for await (const page of client().iterateTickets({ status: 'Closed' })) none.push(page)
    expect(none).toEqual([])
  })
})

describe('Function: WhmcsClient.getTicket', () => {
  it('returns the thread with the opening message first as replyid 0, numbers coerced', async () => {
    // Prepare
    const stored = whmcs.store.mustGet(7)
    // Act
    const ticket = await client().getTicket(7)
    // Assess
    expect(ticket).toMatchObject({
      ticketid: 7,
      tid: stored.tid,
      deptid: stored.deptid,
      userid: stored.userid,
      subject: stored.subject,
      status: stored.status,
      lastreply: stored.lastreply,
      notes: [],
    })
    expect(ticket.replies.map((r) => r.replyid)).toEqual([0, ...stored.replies.map((r) => r.replyid)])
    expect(ticket.replies[0]?.message).toBe(stored.message)
    expect(ticket.replies[1]?.admin).toBe('Alice Agent')
    expect(ticket.replies[2]?.admin).toBe('')
  })

  it('normalises a single reply object and a missing replies list', async () => {
    // Prepare: shapes produced by some WHMCS versions / XML-to-JSON conversions.
    const base = {
      result: 'success',
      ticketid: '9',
      tid: '123456',
      deptid: '1',
      subject: 'S',
      status: 'Open',
    }
    whmcs.respondWith(
      (c) => c.action === 'GetTicket' && c.params.ticketid === '9',
      () => ({
        ...base,
        replies: { reply: { replyid: '0', userid: '5', name: 'C', message: 'Hi', admin: '' } },
      }),
    )
    whmcs.respondWith(
      (c) => c.action === 'GetTicket' && c.params.ticketid === '10',
      () => ({ ...base, ticketid: 10, notes: { note: { noteid: 3, message: 'n', admin: 'A' } } }),
    )
    // Act
    const single = await client().getTicket(9)
    const missing = await client().getTicket(10)
    // Assess
    expect(single.ticketid).toBe(9)
    expect(single.replies).toEqual([
      {
        replyid: 0,
        userid: 5,
        contactid: 0,
        name: 'C',
        email: '',
        date: '',
        message: 'Hi',
        admin: '',
        attachment: '',
      },
    ])
    expect(missing.replies).toEqual([])
    expect(missing.notes).toEqual([{ noteid: 3, date: '', message: 'n', admin: 'A', attachment: '' }])
  })

  it('rejects an answer of the wrong shape with a protocol error', async () => {
    whmcs.respondWith(
      (c) => c.action === 'GetTicket',
      () => ({ result: 'success', ticketid: 'abc' }),
    )
    const error = await caught(client().getTicket(1))
    expect(error.kind).toBe('protocol')
    expect(error.message).toMatch(/GetTicket returned an unexpected shape: ticketid/)
  })

  it('throws WhmcsApiError for an unknown ticket', async () => {
    const error = await caught(client().getTicket(999_999))
    expect(error).toBeInstanceOf(WhmcsApiError)
    expect((error as WhmcsApiError).whmcsMessage).toBe('Ticket ID Not Found')
  })
})

describe('Function: WhmcsClient writes', () => {
  it('addTicketReply posts an admin reply and moves lastreply and status', async () => {
    // Prepare
    const before = { ...whmcs.store.mustGet(3) }
    // Act
    await client().addTicketReply({
      ticketid: 3,
      message: 'Fixed it.',
      adminusername: 'draftdesk',
      markdown: true,
    })
    // Assess
    const after = whmcs.store.mustGet(3)
    expect(after.replies.at(-1)).toMatchObject({ admin: 'draftdesk', message: 'Fixed it.' })
    expect(after.status).toBe('Answered')
    expect(after.lastreply > before.lastreply).toBe(true)
    expect(whmcs.calls[0]?.params.markdown).toBe('1')
    const list = await client().getTickets({ limitnum: 1 })
    expect(list.tickets[0]?.id).toBe(3)
  })

  it('addTicketReply honours an explicit status', async () => {
    await client().addTicketReply({
      ticketid: 4,
      message: 'On it',
      adminusername: 'draftdesk',
      status: 'In Progress',
    })
    expect(whmcs.store.mustGet(4).status).toBe('In Progress')
  })

  it('addTicketReply does not retry a timeout, which may hide a posted reply', async () => {
    whmcs.failOn((c) => c.action === 'AddTicketReply', 'timeout')
    const error = await caught(client({ timeoutMs: 100 }).addTicketReply({ ticketid: 5, message: 'x' }))
    expect(error.kind).toBe('timeout')
    expect(whmcs.callsOf('AddTicketReply')).toHaveLength(1)
  })

  it('addTicketNote adds an internal note', async () => {
    await client().addTicketNote({ ticketid: 6, message: 'Escalated: refund request' })
    const ticket = await client().getTicket(6)
    expect(ticket.notes.map((n) => n.message)).toEqual(['Escalated: refund request'])
  })

  it('updateTicket sets status, priority and flag, and retries like a read', async () => {
    whmcs.failOn((c) => c.action === 'UpdateTicket', '500', 1)
    await client().updateTicket({ ticketid: 8, status: 'Closed', priority: 'High', flag: 2 })
    expect(whmcs.store.mustGet(8)).toMatchObject({ status: 'Closed', priority: 'High', flag: 2 })
    expect(whmcs.callsOf('UpdateTicket')).toHaveLength(2)
  })

  it('getSupportDepartments lists departments with numeric ids', async () => {
    const departments = await client().getSupportDepartments()
    expect(departments.map((d) => [d.id, d.name])).toEqual([
      [1, 'Technical Support'],
      [2, 'Billing'],
      [3, 'Sales'],
    ])
    expect(departments[0]?.opentickets).toBeGreaterThan(0)
  })

  it('addCustomerReply on the fake moves the ticket to the front as Customer-Reply', async () => {
    whmcs.addCustomerReply(11, 'Still broken')
    const [first] = (await client().getTickets({ limitnum: 1 })).tickets
    expect(first).toMatchObject({ id: 11, status: 'Customer-Reply' })
  })
})

describe('Function: WhmcsClient behind the SSRF guard', () => {
  it('needs a fetch: there is no unguarded default', () => {
    expect(() => new WhmcsClient({ url: whmcs.url, identifier, secret } as WhmcsClientOptions)).toThrow(
      /fetch is required/,
    )
  })

  it('is refused a loopback WHMCS outside the allowed networks, once, without sending anything', async () => {
    // Prepare
    const strict = createOutboundFetch({ ...policy, allowedNetworks: [] })
    // Act
    const error = await caught(client({ fetch: strict }).getTickets())
    // Assess
    expect(error.kind).toBe('refused')
    expect(error.retryable).toBe(false)
    expect(error.message).toBe(
      'WHMCS GetTickets refused: 127.0.0.1 is loopback; set WHMCS_ALLOWED_NETWORKS to allow it',
    )
    expect(whmcs.calls).toHaveLength(0)
  })

  it.each([302, 307])('does not follow a %i: the credentials never reach its target', async (status) => {
    // Prepare: WHMCS's URL redirects to another listener.
    const target = await listen(200, 'application/json', '{"result":"success","totalresults":0}')
    const redirect = await listen(status, 'text/html', '', { location: `${target.url}/includes/api.php` })
    try {
      // Act
      const error = await caught(client({ url: redirect.url }).getTickets())
      // Assess
      expect(error.kind).toBe('http')
      expect(error.status).toBe(status)
      expect(error.retryable).toBe(false)
      expect(error.message).toBe(
        `WHMCS GetTickets failed: HTTP ${status} redirect to ${target.url} not followed: redirects are never followed, so configure the final address`,
      )
      expect(redirect.received()).toBe(1)
      expect(target.received()).toBe(0)
    } finally {
      await Promise.all([target.close(), redirect.close()])
    }
  })
})

describe('Function: WhmcsClient credential hygiene', () => {
  it('never shows identifier, secret or access key in errors or in the client itself', async () => {
    // Prepare: every failure kind, plus a WHMCS that echoes the secret back.
    const secrets = [identifier, secret, accessKey]
    const c = client({ accessKey, retries: 0 })
    whmcs.respondWith(
      (call) => call.action === 'GetTicket' && call.params.ticketid === '1',
      () => ({ result: 'error', message: `Invalid secret ${secret} for ${identifier}` }),
    )
    whmcs.failOn((call) => call.params.ticketid === '2', '500')
    whmcs.failOn((call) => call.params.ticketid === '3', 'timeout')
    whmcs.failOn((call) => call.params.ticketid === '4', 'html')
    whmcs.failOn((call) => call.params.ticketid === '5', 'error')
    const deadUrl = `http://${identifier}:${secret}@127.0.0.1:1`
    // Act
    const errors = [
      await caught(client({ secret: 'wrong' }).getTickets()),
      ...(await Promise.all(
        // Only the hanging call gets a short timeout: an answered one must never time out under load.
        [1, 2, 3, 4, 5].map((id) =>
          caught((id === 3 ? client({ accessKey, retries: 0, timeoutMs: 80 }) : c).getTicket(id)),
        ),
      )),
      await caught(client({ url: deadUrl, retries: 0 }).getTickets()),
    ]
    // Assess
    expect(errors.map((e) => e.kind)).toEqual(['api', 'api', 'http', 'timeout', 'protocol', 'api', 'network'])
    expect(errors[1]?.message).toBe('WHMCS GetTicket failed: Invalid secret [redacted] for [redacted]')
    const rendered = [
      ...errors.flatMap((e) => [
        e.message,
        String(e),
        e.stack ?? '',
        JSON.stringify(e),
        inspect(e, { depth: 5 }),
      ]),
      String(c),
      JSON.stringify(c),
      inspect(c, { showHidden: true }),
      client({ url: deadUrl }).endpoint,
    ].join('\n')
    for (const s of secrets) expect(rendered).not.toContain(s)
  })
})
