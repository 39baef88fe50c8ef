/**
 * Issue 26, item 2: the SSRF guard for URLs a tenant can influence, against real listeners on loopback.
 * Loopback stands in for every internal address: allowed only when the policy's networks include it.
 * The metadata address is only ever "resolved" by an injected resolver or written as a literal, and the
 * assertions are on the guard's decision: nothing is ever sent there.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '#shared/config'
import { createOutboundFetch, type Resolver } from '#shared/http/outbound'
import {
  checkUrl,
  OutboundError,
  type OutboundPolicy,
  OutboundRedirectError,
  OutboundRefusedError,
  refusedRange,
} from '#shared/http/outbound-policy'

const strict: OutboundPolicy = { allowedNetworks: [], allowVariable: 'WHMCS_ALLOWED_NETWORKS' }
const loopback: OutboundPolicy = { ...strict, allowedNetworks: ['127.0.0.0/8'] }

interface Listener {
  url: string
  port: number
  requests: Array<{ method: string; url: string; host: string; body: string }>
  close(): Promise<void>
}

/** A real HTTP server on 127.0.0.1 that records every request and answers with `answer`. */
async function listen(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listener> {
  const requests: Listener['requests'] = []
  const server: Server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    requests.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host ?? '', body })
    answer(req, res)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(200, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** A resolver that answers from a script and records what it was asked. */
function scripted(...answers: string[][]): Resolver & { asked: string[] } {
  const asked: string[] = []
  const resolver = async (hostname: string) => {
    asked.push(hostname)
    const answer = answers[Math.min(asked.length, answers.length) - 1] ?? []
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return Object.assign(resolver, { asked })
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

describe('Function: checkUrl', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://[::1]/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://10.0.0.5/', 'private'],
    ['http://172.16.3.4/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'carrierGradeNat'],
    ['http://[fd00::1]/', 'uniqueLocal'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://240.0.0.1/', 'reserved'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:a9fe:a9fe]/', 'linkLocal'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'linkLocal'],
    ['http://[64:ff9b:1::1]/', 'rfc6052'],
    ['http://[2002:7f00:1::]/', '6to4'],
    ['http://[::7f00:1]/', 'ipv4Compatible'],
  ])('refuses %s as %s, naming the setting that would allow it', (url, range) => {
    // Act
    const error = (() => {
      try {
        checkUrl(url, strict)
      } catch (e) {
        return e
      }
    })()
    // Assess
    expect(error).toBeInstanceOf(OutboundRefusedError)
    expect((error as OutboundRefusedError).range).toBe(range)
    expect((error as Error).message).toMatch(/^refused: .* is .*; set WHMCS_ALLOWED_NETWORKS to allow it$/)
  })

  it('says why in plain words', () => {
    expect(() => checkUrl('http://169.254.169.254/latest/', strict)).toThrow(
      'refused: 169.254.169.254 is link-local (where cloud metadata lives); set WHMCS_ALLOWED_NETWORKS to allow it',
    )
  })

  it('refuses other schemes and credentials in the URL', () => {
    for (const url of ['file:///etc/passwd', 'gopher://billing.example.com/', 'ftp://billing.example.com/']) {
      expect(() => checkUrl(url, strict), url).toThrow(/only http and https/)
    }
    expect(() => checkUrl('https://admin:pw@billing.example.com/', strict)).toThrow(/user name or password/)
  })

  it('lets public addresses and names through, and what the allowed networks hold', () => {
    for (const url of [
      'https://billing.example.com/',
      'http://8.8.8.8/',
      'http://[2606:4700::1111]/',
      'http://[64:ff9b::808:808]/',
      // Names are judged by what they resolve to, when connecting.
      'http://localhost:8080/',
    ]) {
      expect(checkUrl(url, strict).href, url).toBe(new URL(url).href)
    }
    const lan: OutboundPolicy = { ...strict, allowedNetworks: ['10.0.0.0/8', 'fd00::/8'] }
    expect(refusedRange('10.1.2.3', lan)).toBeUndefined()
    expect(refusedRange('::ffff:10.1.2.3', lan)).toBeUndefined()
    expect(refusedRange('fd12::1', lan)).toBeUndefined()
    expect(refusedRange('172.16.0.1', lan)).toBe('private')
    expect(refusedRange('127.0.0.1', lan)).toBe('loopback')
  })
})

describe('Function: createOutboundFetch', () => {
  let api: Listener
  let closing: Listener
  let target: Listener
  let redirects: Listener
  let big: Listener
  beforeAll(async () => {
    api = await listen((_req, res) => json(res, { result: 'success' }))
    closing = await listen((_req, res) => json(res, { ok: true }, { connection: 'close' }))
    target = await listen((_req, res) => json(res, { stolen: true }))
    redirects = await listen((req, res) => {
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status'))
      res.writeHead(status, { location: `${target.url}/includes/api.php?leak=1` })
      res.end()
    })
    big = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('x'.repeat(4096))
    })
  })
  afterAll(async () => {
    await Promise.all([api, closing, target, redirects, big].map((l) => l?.close()))
  })

  it('reaches a loopback listener when the allowed networks include it', async () => {
    // Act
    const res = await createOutboundFetch(loopback)(`${api.url}/includes/api.php`, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({ action: 'GetTickets' }),
    })
    // Assess
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ result: 'success' })
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', body: 'action=GetTickets' })
  })

  it('refuses the same listener without them, and sends it nothing', async () => {
    // Prepare
    const before = api.requests.length
    // Act
    const error = await rejection(createOutboundFetch(strict)(`${api.url}/includes/api.php`))
    // Assess
    expect(error).toBeInstanceOf(OutboundRefusedError)
    expect((error as Error).message).toBe(
      'refused: 127.0.0.1 is loopback; set WHMCS_ALLOWED_NETWORKS to allow it',
    )
    expect(api.requests).toHaveLength(before)
  })

  it('refuses localhost as the system resolver answers it (127.0.0.1, ::1, or both), sending nothing', async () => {
    // Prepare
    const before = api.requests.length
    // Act
    const error = await rejection(createOutboundFetch(strict)(`http://localhost:${api.port}/`))
    // Assess
    expect(error).toBeInstanceOf(OutboundRefusedError)
    expect((error as Error).message).toMatch(
      /^refused: localhost resolves to (127\.0\.0\.1|::1), which is loopback; set WHMCS_ALLOWED_NETWORKS to allow it$/,
    )
    expect(api.requests).toHaveLength(before)
  })

  it('refuses a name that resolves to a refused address, and connects to the checked address only', async () => {
    // Prepare: no real DNS knows these names; only the injected resolver does.
    const resolver = scripted(['127.0.0.1'])
    const fetch = createOutboundFetch(loopback, { resolve: resolver })
    const before = api.requests.length
    // Act
    const ok = await fetch(`http://whmcs.desk.test:${api.port}/includes/api.php`)
    const refused = await rejection(
      createOutboundFetch(strict, { resolve: resolver })(`http://whmcs.desk.test:${api.port}/`),
    )
    // Assess: the request reached the address the resolver gave (the Host header still names the host).
    expect(ok.status).toBe(200)
    expect(api.requests.slice(before).map((r) => r.host)).toEqual([`whmcs.desk.test:${api.port}`])
    expect(refused).toBeInstanceOf(OutboundRefusedError)
    expect((refused as Error).message).toBe(
      'refused: whmcs.desk.test resolves to 127.0.0.1, which is loopback; set WHMCS_ALLOWED_NETWORKS to allow it',
    )
    expect(resolver.asked).toEqual(['whmcs.desk.test', 'whmcs.desk.test'])
  })

  it('refuses the metadata address before any connection, as a literal or behind a name', async () => {
    // Prepare: a resolver that would send the name to the metadata service.
    const resolver = scripted(['169.254.169.254'])
    const fetch = createOutboundFetch(loopback, { resolve: resolver })
    // Act
    const literal = await rejection(fetch('http://169.254.169.254/latest/meta-data/iam/'))
    const asked = resolver.asked.length
    const named = await rejection(fetch('http://metadata.desk.test/latest/meta-data/iam/'))
    // Assess: the literal never reached the resolver, the name stopped at it; both are the guard's refusal.
    expect(asked).toBe(0)
    expect(resolver.asked).toEqual(['metadata.desk.test'])
    for (const error of [literal, named]) {
      expect(error).toBeInstanceOf(OutboundRefusedError)
      expect(error).toMatchObject({ reason: 'address', address: '169.254.169.254', range: 'linkLocal' })
    }
  })

  it('refuses a whole answer when one of its addresses is refused', async () => {
    // Prepare: an allowed address next to the metadata one, as a rebinding attacker hedges.
    const before = api.requests.length
    const fetch = createOutboundFetch(loopback, { resolve: scripted(['127.0.0.1', '169.254.169.254']) })
    // Act
    const error = await rejection(fetch(`http://mixed.desk.test:${api.port}/`))
    // Assess
    expect(error).toMatchObject({ name: 'OutboundRefusedError', address: '169.254.169.254' })
    expect(api.requests).toHaveLength(before)
  })

  it('checks again on every new connection: a name that rebinds to a refused address is stopped', async () => {
    // Prepare: the listener closes each connection, so the second request must connect (and resolve) anew.
    const resolver = scripted(['127.0.0.1'], ['169.254.169.254'])
    const fetch = createOutboundFetch(loopback, { resolve: resolver })
    // Act
    const first = await fetch(`http://rebind.desk.test:${closing.port}/`)
    await first.text()
    const second = await rejection(fetch(`http://rebind.desk.test:${closing.port}/`))
    // Assess
    expect(first.status).toBe(200)
    expect(second).toMatchObject({ name: 'OutboundRefusedError', address: '169.254.169.254' })
    expect(resolver.asked).toHaveLength(2)
    expect(closing.requests).toHaveLength(1)
  })

  it.each([302, 307])('never follows a %i redirect: its target receives nothing', async (status) => {
    // Prepare
    const fetch = createOutboundFetch(loopback)
    // Act
    const error = await rejection(
      fetch(`${redirects.url}/includes/api.php?status=${status}`, {
        method: 'POST',
        body: new URLSearchParams({ identifier: 'ident', secret: 'secret' }),
      }),
    )
    // Assess: the error names the Location's origin, not its path, and says redirects are not followed.
    expect(error).toBeInstanceOf(OutboundRedirectError)
    expect(error).toMatchObject({ status, locationOrigin: target.url })
    expect((error as Error).message).toBe(
      `HTTP ${status} redirect to ${target.url} not followed: redirects are never followed, so configure the final address`,
    )
    expect(target.requests).toEqual([])
  })

  it('fails a body larger than the cap', async () => {
    const error = await rejection(createOutboundFetch(loopback, { maxBodyBytes: 1024 })(big.url))
    expect(error).toBeInstanceOf(OutboundError)
    expect((error as Error).message).toBe('response body larger than 1024 bytes')
  })

  it("ends the request with the caller's signal", async () => {
    const controller = new AbortController()
    controller.abort(new DOMException('gave up', 'TimeoutError'))
    const error = await rejection(createOutboundFetch(loopback)(api.url, { signal: controller.signal }))
    expect(error).toMatchObject({ name: 'TimeoutError' })
  })
})

describe('Function: parseConfig WHMCS_ALLOWED_NETWORKS', () => {
  it('is empty by default and reads a comma-separated list of CIDRs', () => {
    expect(parseConfig({}).WHMCS_ALLOWED_NETWORKS).toEqual([])
    expect(parseConfig({ WHMCS_ALLOWED_NETWORKS: ' 10.0.0.0/8, fd00::/8 ,' }).WHMCS_ALLOWED_NETWORKS).toEqual(
      ['10.0.0.0/8', 'fd00::/8'],
    )
  })

  it('gives the guard networks it can use', () => {
    // Prepare
    const { WHMCS_ALLOWED_NETWORKS } = parseConfig({ WHMCS_ALLOWED_NETWORKS: '::ffff:10.0.0.0/104,fd00::/8' })
    const policy = { allowedNetworks: WHMCS_ALLOWED_NETWORKS, allowVariable: 'WHMCS_ALLOWED_NETWORKS' }
    // Assess
    expect(refusedRange('::ffff:10.9.8.7', policy)).toBeUndefined()
    expect(refusedRange('fd00::7', policy)).toBeUndefined()
    expect(refusedRange('10.9.8.7', policy)).toBe('private')
  })

  it('stops start-up on anything else, naming the variable', () => {
    for (const bad of [
      '10.0.0.0',
      '10/8',
      'lan',
      '10.0.0.0/33',
      '0x0a000000/8',
      'fe80::1%eth0/64',
      '::/129',
      '10.0.0.0/8/8',
    ]) {
      expect(() => parseConfig({ WHMCS_ALLOWED_NETWORKS: bad }), bad).toThrow(
        /WHMCS_ALLOWED_NETWORKS: .* is not a CIDR/,
      )
    }
  })
})
