import { describe, expect, it } from 'vitest'
import { hmacSha256Hex } from '#shared/crypto'
import {
  DRAFTDESK_REPLY_MARKER,
  markDraftdeskReply,
  signWebhook,
  signWebhookV2,
  verifyWebhook,
} from '#shared/whmcs/signature'

const secret = 'whsec_test_0123456789'
const body = JSON.stringify({ event: 'TicketUserReply', data: { ticketid: 42, message: 'Привет, возврат?' } })
const now = new Date('2026-11-20T10:15:00Z')
const ts = Math.floor(now.getTime() / 1000)

describe('Function: signWebhook', () => {
  it('is sha256=<hex HMAC-SHA256 over "timestamp.body">', () => {
    // Act
    const signature = signWebhook(secret, ts, body)
    // Assess
    expect(signature).toBe(`sha256=${hmacSha256Hex(secret, `${ts}.${body}`)}`)
    expect(signWebhook(secret, String(ts), Buffer.from(body))).toBe(signature)
  })
})

describe('Function: signWebhookV2', () => {
  it('is v2=<hex HMAC-SHA256 over "timestamp.eventId.body">', () => {
    // Act
    const signature = signWebhookV2(secret, ts, 'evt-1', body)
    // Assess
    expect(signature).toBe(`v2=${hmacSha256Hex(secret, `${ts}.evt-1.${body}`)}`)
    expect(signWebhookV2(secret, String(ts), 'evt-1', Buffer.from(body))).toBe(signature)
  })
})

describe('Function: verifyWebhook', () => {
  const valid = {
    secret,
    timestampHeader: String(ts),
    signatureHeader: signWebhook(secret, ts, body),
    rawBody: body,
    now,
  }

  it('accepts a valid signature', () => {
    expect(verifyWebhook(valid)).toMatchObject({ ok: true })
  })

  it('accepts a Buffer body and an upper-case hex signature', () => {
    const upper = `sha256=${valid.signatureHeader.slice(7).toUpperCase()}`
    expect(verifyWebhook({ ...valid, rawBody: Buffer.from(body), signatureHeader: upper })).toMatchObject({
      ok: true,
    })
  })

  it('rejects a signature made with another secret', () => {
    const signatureHeader = signWebhook('another-secret', ts, body)
    expect(verifyWebhook({ ...valid, signatureHeader })).toEqual({ ok: false, reason: 'bad_signature' })
  })

  it('rejects a tampered body', () => {
    const rawBody = body.replace('42', '43')
    expect(verifyWebhook({ ...valid, rawBody })).toEqual({ ok: false, reason: 'bad_signature' })
  })

  it('rejects a signature moved to another timestamp', () => {
    expect(verifyWebhook({ ...valid, timestampHeader: String(ts + 1) })).toEqual({
      ok: false,
      reason: 'bad_signature',
    })
  })

  it('rejects malformed signature headers', () => {
    for (const signatureHeader of [
      'garbage',
      valid.signatureHeader.slice(7),
      'sha1=abc',
      `${valid.signatureHeader}00`,
    ]) {
      expect(verifyWebhook({ ...valid, signatureHeader })).toEqual({ ok: false, reason: 'bad_signature' })
    }
  })

  it('rejects timestamps outside the 5-minute window, both ways, and accepts its edge', () => {
    // Prepare
    const signedAt = (offset: number) => ({
      ...valid,
      timestampHeader: String(ts + offset),
      signatureHeader: signWebhook(secret, ts + offset, body),
    })
    // Act + Assess
    expect(verifyWebhook(signedAt(-301))).toEqual({ ok: false, reason: 'stale' })
    expect(verifyWebhook(signedAt(301))).toEqual({ ok: false, reason: 'stale' })
    expect(verifyWebhook(signedAt(-300))).toMatchObject({ ok: true })
    expect(verifyWebhook({ ...signedAt(-30), toleranceSeconds: 10 })).toEqual({ ok: false, reason: 'stale' })
    expect(verifyWebhook({ ...valid, now: now.getTime() })).toMatchObject({ ok: true })
  })

  it('treats a non-numeric timestamp as stale', () => {
    expect(verifyWebhook({ ...valid, timestampHeader: '2026-11-20T10:15:00Z' })).toEqual({
      ok: false,
      reason: 'stale',
    })
  })

  it('reports missing headers', () => {
    expect(verifyWebhook({ ...valid, timestampHeader: undefined })).toEqual({
      ok: false,
      reason: 'missing_headers',
    })
    expect(verifyWebhook({ ...valid, signatureHeader: '' })).toEqual({ ok: false, reason: 'missing_headers' })
    expect(verifyWebhook({ ...valid, signatureHeader: null })).toEqual({
      ok: false,
      reason: 'missing_headers',
    })
  })
})

describe('Function: verifyWebhook (v2 and the v1 transition)', () => {
  const v2 = {
    secret,
    timestampHeader: String(ts),
    eventIdHeader: 'evt-42',
    signatureHeader: signWebhookV2(secret, ts, 'evt-42', body),
    rawBody: body,
    now,
  }

  it('accepts v2 and returns one digest per signed request', () => {
    // Act
    const first = verifyWebhook(v2)
    const again = verifyWebhook({ ...v2 })
    const v1 = verifyWebhook({ ...v2, signatureHeader: signWebhook(secret, ts, body) })
    // Assess
    expect(first).toMatchObject({ ok: true, version: 2, digest: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(again).toEqual(first)
    expect(v1).toMatchObject({ ok: true, version: 1 })
    expect((v1 as { digest: string }).digest).not.toBe((first as { digest: string }).digest)
  })

  it('rejects v2 under another or a missing event id', () => {
    expect(verifyWebhook({ ...v2, eventIdHeader: 'evt-43' })).toEqual({ ok: false, reason: 'bad_signature' })
    expect(verifyWebhook({ ...v2, eventIdHeader: undefined })).toEqual({
      ok: false,
      reason: 'missing_headers',
    })
  })

  it('refuses v1 when v2 is required, and still accepts v2', () => {
    const v1 = { ...v2, signatureHeader: signWebhook(secret, ts, body), requireV2: true }
    expect(verifyWebhook(v1)).toEqual({ ok: false, reason: 'v1_not_allowed' })
    expect(verifyWebhook({ ...v2, requireV2: true })).toMatchObject({ ok: true, version: 2 })
  })
})

describe('Function: markDraftdeskReply', () => {
  it('appends the invisible marker once', () => {
    const marked = markDraftdeskReply('Hello')
    expect(marked).toBe(`Hello${DRAFTDESK_REPLY_MARKER}`)
    expect(markDraftdeskReply(marked)).toBe(marked)
  })
})
