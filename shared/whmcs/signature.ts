/**
 * The webhook contract between the WHMCS hook (`integrations/whmcs/draftdesk.php`) and Draftdesk.
 *
 * Two signature versions, both HMAC-SHA256 under the tenant's webhook secret, in `X-Draftdesk-Signature`:
 * - `v2=<hex>` over `"<timestamp>.<event id>.<raw body>"` — what the current hook sends. The event id is
 *   signed, so a captured request cannot be replayed under a fresh `X-Draftdesk-Event-Id`.
 * - `sha256=<hex>` over `"<timestamp>.<raw body>"` (v1) — hooks installed before v2. Accepted until the
 *   tenant sets `settings.requireWebhookSignatureV2`; a v1 replay under a new event id is still caught by
 *   the receiver, which deduplicates on the signature itself as well as on the event id.
 * Both implementations must stay byte-for-byte identical; `test/unit/whmcs-php-hook.test.ts` checks the
 * PHP output against {@link verifyWebhook}.
 */
import { hmacSha256Hex, sha256Hex, timingSafeEqualStr } from '#shared/crypto'

/** Header names (lower case, as API Gateway and node:http deliver them). */
export const WEBHOOK_HEADERS = {
  timestamp: 'x-draftdesk-timestamp',
  eventId: 'x-draftdesk-event-id',
  signature: 'x-draftdesk-signature',
  event: 'x-draftdesk-event',
} as const

/** Replay window: a request signed longer ago (or further ahead) than this is rejected. */
const DEFAULT_TOLERANCE_SECONDS = 300

/**
 * Invisible marker (zero-width space / word joiner pairs) appended to replies Draftdesk posts into WHMCS,
 * so the hook can recognise them and not echo them back as new events. Mirrors
 * `DRAFTDESK_REPLY_MARKER` in the PHP hook.
 */
export const DRAFTDESK_REPLY_MARKER = '\u200B\u2060\u200B\u2060'

const SIGNATURE_RE = /^(sha256|v2)=([0-9a-f]{64})$/i
const TIMESTAMP_RE = /^\d{1,12}$/

/**
 * Signs a webhook body with the v1 scheme (kept for hooks installed before v2, and their tests).
 *
 * @param secret - the tenant's webhook secret
 * @param timestamp - unix seconds, as sent in `X-Draftdesk-Timestamp`
 * @param rawBody - the exact bytes that go on the wire
 * @returns `sha256=<lower-case hex>`
 * @internal
 */
export function signWebhook(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  return `sha256=${hmacSha256Hex(secret, signedPayload([timestamp], rawBody))}`
}

/**
 * Signs a webhook with the v2 scheme, which covers the event id too.
 *
 * @param eventId - exactly as sent in `X-Draftdesk-Event-Id`
 * @returns `v2=<lower-case hex>`
 * @internal
 */
export function signWebhookV2(
  secret: string,
  timestamp: number | string,
  eventId: string,
  rawBody: string | Buffer,
): string {
  return `v2=${hmacSha256Hex(secret, signedPayload([timestamp, eventId], rawBody))}`
}

const signedPayload = (parts: Array<number | string>, rawBody: string | Buffer) =>
  Buffer.concat([Buffer.from(`${parts.join('.')}.`, 'utf8'), toBuffer(rawBody)])

export type VerifyWebhookResult =
  | {
      ok: true
      version: 1 | 2
      /** SHA-256 of the verified signature: the same signed bytes always give the same digest. */
      digest: string
    }
  | { ok: false; reason: 'missing_headers' | 'stale' | 'bad_signature' | 'v1_not_allowed' }

export interface VerifyWebhookInput {
  secret: string
  timestampHeader: string | null | undefined
  signatureHeader: string | null | undefined
  /** `X-Draftdesk-Event-Id`; part of what a v2 signature covers. */
  eventIdHeader?: string | null | undefined
  /** The body exactly as received; re-serialised JSON will not verify. */
  rawBody: string | Buffer
  /** Current time as a Date or epoch milliseconds (default: now). */
  now?: Date | number
  toleranceSeconds?: number
  /** Refuse v1 signatures (the tenant finished moving its hook to v2). */
  requireV2?: boolean
}

/**
 * Verifies a signed webhook: headers present, timestamp inside the replay window, signature valid (v2, or
 * v1 unless `requireV2`). The signature comparison runs in constant time.
 */
export function verifyWebhook(input: VerifyWebhookInput): VerifyWebhookResult {
  const { secret, timestampHeader, signatureHeader, rawBody } = input
  const toleranceSeconds = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (!timestampHeader || !signatureHeader) return { ok: false, reason: 'missing_headers' }

  const timestamp = timestampHeader.trim()
  // A timestamp that is not an integer cannot be placed inside the window, so it is treated as stale.
  if (!TIMESTAMP_RE.test(timestamp)) return { ok: false, reason: 'stale' }
  const nowMs =
    input.now === undefined ? Date.now() : input.now instanceof Date ? input.now.getTime() : input.now
  const ageSeconds = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp))
  if (ageSeconds > toleranceSeconds) return { ok: false, reason: 'stale' }

  const match = SIGNATURE_RE.exec(signatureHeader.trim())
  const v2 = match?.[1]?.toLowerCase() === 'v2'
  const eventId = input.eventIdHeader?.trim() ?? ''
  if (v2 && !eventId) return { ok: false, reason: 'missing_headers' }
  const expected = v2
    ? signWebhookV2(secret, timestamp, eventId, rawBody)
    : signWebhook(secret, timestamp, rawBody)
  // Always run the comparison, even for a malformed header, so timing does not reveal which check failed.
  const given = match ? `${match[1]!.toLowerCase()}=${match[2]!.toLowerCase()}` : ''
  const same = timingSafeEqualStr(given, expected)
  if (!match || !same) return { ok: false, reason: 'bad_signature' }
  if (!v2 && input.requireV2) return { ok: false, reason: 'v1_not_allowed' }
  return { ok: true, version: v2 ? 2 : 1, digest: sha256Hex(expected) }
}

function toBuffer(body: string | Buffer): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body
}

/** Appends {@link DRAFTDESK_REPLY_MARKER} to a reply Draftdesk posts into WHMCS (idempotent). */
export function markDraftdeskReply(message: string): string {
  return message.endsWith(DRAFTDESK_REPLY_MARKER) ? message : `${message}${DRAFTDESK_REPLY_MARKER}`
}
