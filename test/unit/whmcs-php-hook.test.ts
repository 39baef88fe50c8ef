/**
 * Runs the WHMCS hook (integrations/whmcs/draftdesk.php) under php-cli and checks that what PHP signs is
 * exactly what the TypeScript webhook verifier accepts. Needs `php` on PATH (CI installs php-cli).
 */
import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readdirSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { DRAFTDESK_REPLY_MARKER, signWebhookV2, verifyWebhook } from '#shared/whmcs/signature'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
const integrations = join(root, 'integrations')
const runPhp = join(integrations, 'whmcs/test/run.php')
const hookPhp = join(integrations, 'whmcs/draftdesk.php')

const phpAvailable = spawnSync('php', ['-v'], { stdio: 'ignore' }).status === 0
// Under CI=true php must be there (.ci/run installs it): the tests then run and fail instead of skipping.
const runPhpTests = phpAvailable || process.env.CI === 'true'
if (!phpAvailable) {
  console.warn(
    '\n⚠ php is not on PATH: the WHMCS PHP hook tests do not run here (apt-get install php-cli).\n',
  )
}

interface CaptureResult {
  ok: boolean
  checks: number
  failures: string[]
  secret: string
  timestamp: string
  signature: string
  eventId: string
  bodyBase64: string
}

function resultLine(stdout: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`run.php printed no RESULT line:\n${stdout}`)
  return JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>
}

describe.runIf(runPhpTests)('Function: WHMCS hook draftdesk.php', () => {
  it('every PHP file passes php -l', async () => {
    // Prepare
    const files = readdirSync(integrations, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.php'))
      .map((f) => join(integrations, f))
    expect(files).toEqual(expect.arrayContaining([hookPhp, runPhp]))
    // Act + Assess
    for (const file of files) {
      const { stdout } = await run('php', ['-l', file])
      expect(stdout).toContain('No syntax errors detected')
    }
  })

  it('signs TicketUserReply so that verifyWebhook accepts it', async () => {
    // Act
    const { stdout } = await run('php', [runPhp])
    const result = resultLine(stdout) as unknown as CaptureResult
    // Assess
    expect(result.failures).toEqual([])
    expect(result.ok).toBe(true)
    const rawBody = Buffer.from(result.bodyBase64, 'base64')
    const input = {
      secret: result.secret,
      timestampHeader: result.timestamp,
      signatureHeader: result.signature,
      eventIdHeader: result.eventId,
      rawBody,
      now: Number(result.timestamp) * 1000,
      requireV2: true,
    }
    expect(result.signature).toMatch(/^v2=[0-9a-f]{64}$/)
    expect(verifyWebhook(input)).toMatchObject({ ok: true, version: 2 })
    expect(signWebhookV2(result.secret, result.timestamp, result.eventId, rawBody)).toBe(result.signature)
    expect(verifyWebhook({ ...input, secret: 'other' })).toEqual({ ok: false, reason: 'bad_signature' })
    // The event id is signed: the same request under another id does not verify.
    expect(verifyWebhook({ ...input, eventIdHeader: `${result.eventId.slice(0, -1)}0` })).toEqual({
      ok: false,
      reason: 'bad_signature',
    })
    expect(verifyWebhook({ ...input, rawBody: Buffer.concat([rawBody, Buffer.from(' ')]) })).toEqual({
      ok: false,
      reason: 'bad_signature',
    })
    const body = JSON.parse(rawBody.toString('utf8'))
    expect(body).toMatchObject({
      event: 'TicketUserReply',
      data: {
        ticketid: 42,
        replyid: 9001,
        status: 'Customer-Reply',
        priority: 'High',
        ticketmask: 'XKT-482913',
      },
    })
    expect(body.data.message).toContain('возврат')
    expect(result.eventId).toMatch(/^[0-9a-f]{64}$/)
  })

  it('passes without pdo_sqlite too (array outbox, as on a bare php-cli)', async () => {
    const { stdout } = await run('php', ['-n', runPhp])
    expect(resultLine(stdout)).toMatchObject({ ok: true, failures: [], outbox: 'array (pdo_sqlite missing)' })
  })

  it('uses the same reply marker as the TypeScript side', async () => {
    const code = `define('WHMCS', 1); function add_hook() {} require '${hookPhp}'; echo bin2hex(DRAFTDESK_REPLY_MARKER);`
    const { stdout } = await run('php', ['-r', code])
    expect(stdout).toBe(Buffer.from(DRAFTDESK_REPLY_MARKER, 'utf8').toString('hex'))
  })

  // Default ini uses curl when the extension is there; `-n` (no extensions) exercises the PHP-streams fallback.
  it.each([
    ['default extensions', []],
    ['no extensions (streams, array outbox)', ['-n']],
  ])(
    'delivers over real HTTP with %s, retries from the outbox after a failure, every attempt verifies',
    async (_label, flags) => {
      // Prepare: a receiver that fails the first delivery like a Draftdesk outage.
      const secret = randomBytes(24).toString('base64url')
      const received: Array<{ url: string; headers: IncomingHttpHeaders; body: Buffer }> = []
      const server = createServer(async (req, res) => {
        const chunks: Buffer[] = []
        for await (const chunk of req) chunks.push(chunk as Buffer)
        received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
        res.writeHead(received.length === 1 ? 503 : 200, { 'content-type': 'application/json' })
        res.end('{}')
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const { port } = server.address() as AddressInfo
      try {
        // Act
        const { stdout } = await run('php', [...flags, runPhp], {
          env: {
            ...process.env,
            DRAFTDESK_LIVE_URL: `http://127.0.0.1:${port}`,
            DRAFTDESK_TEST_SECRET: secret,
          },
        })
        const result = resultLine(stdout) as {
          eventId: string
          transport: string
          firstAttempt: { delivered_at: unknown; last_error: string }
          row: { delivered_at: unknown; attempts: number | string }
        }
        // Assess
        expect(received).toHaveLength(2)
        if (flags.includes('-n')) expect(result.transport).toBe('stream')
        expect(result.firstAttempt.delivered_at).toBeNull()
        expect(result.firstAttempt.last_error).toBe('HTTP 503')
        expect(result.row.delivered_at).not.toBeNull()
        expect(Number(result.row.attempts)).toBe(2)
        for (const request of received) {
          expect(request.url).toBe('/webhooks/whmcs/acme-hosting')
          expect(request.headers['content-type']).toBe('application/json')
          expect(request.headers['x-draftdesk-event']).toBe('TicketUserReply')
          expect(request.headers['x-draftdesk-event-id']).toBe(result.eventId)
          const verdict = verifyWebhook({
            secret,
            timestampHeader: request.headers['x-draftdesk-timestamp'] as string,
            signatureHeader: request.headers['x-draftdesk-signature'] as string,
            eventIdHeader: request.headers['x-draftdesk-event-id'] as string,
            rawBody: request.body,
            requireV2: true,
          })
          expect(verdict).toMatchObject({ ok: true, version: 2 })
        }
        expect(received[1]!.body.equals(received[0]!.body)).toBe(true)
      } finally {
        server.closeAllConnections()
        server.close()
      }
    },
  )
})
