/**
 * The webhook contract between the WHMCS hook (`integrations/whmcs/draftdesk.php`) and Draftdesk.
 *
 * The PHP side signs `"<timestamp>.<raw body>"` with HMAC-SHA256 under the tenant's webhook secret and
 * sends `X-Draftdesk-Signature: sha256=<hex>`. Both implementations must stay byte-for-byte identical;
 * `test/unit/whmcs-php-hook.test.ts` checks the PHP output against {@link verifyWebhook}.
 */
import { hmacSha256Hex, timingSafeEqualStr } from '#shared/crypto'

/** Header names (lower case, as API Gateway and node:http deliver them). */
export const WEBHOOK_HEADERS = {
  timestamp: 'x-draftdesk-timestamp',
  eventId: 'x-draftdesk-event-id',
  signature: 'x-draftdesk-signature',
  event: 'x-draftdesk-event',
} as const

/** Replay window: a request signed longer ago (or further ahead) than this is rejected. */
export const DEFAULT_TOLERANCE_SECONDS = 300

/**
 * Invisible marker (zero-width space / word joiner pairs) appended to replies Draftdesk posts into WHMCS,
 * so the hook can recognise them and not echo them back as new events. Mirrors
 * `DRAFTDESK_REPLY_MARKER` in the PHP hook.
 */
export const DRAFTDESK_REPLY_MARKER = '\u200B\u2060\u200B\u2060'

const SIGNATURE_RE = /^sha256=([0-9a-f]{64})$/i
const TIMESTAMP_RE = /^\d{1,12}$/

/**
 * Signs a webhook body.
 *
 * @param secret - the tenant's webhook secret
 * @param timestamp - unix seconds, as sent in `X-Draftdesk-Timestamp`
 * @param rawBody - the exact bytes that go on the wire
 * @returns `sha256=<lower-case hex>`
 */
export function signWebhook(secret: string, timestamp: number | string, rawBody: string | Buffer): string {
  const payload = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), toBuffer(rawBody)])
  return `sha256=${hmacSha256Hex(secret, payload)}`
}

export type VerifyWebhookResult =
  | { ok: true }
  | { ok: false; reason: 'missing_headers' | 'stale' | 'bad_signature' }

export interface VerifyWebhookInput {
  secret: string
  timestampHeader: string | null | undefined
  signatureHeader: string | null | undefined
  /** The body exactly as received; re-serialised JSON will not verify. */
  rawBody: string | Buffer
  /** Current time as a Date or epoch milliseconds (default: now). */
  now?: Date | number
  toleranceSeconds?: number
}

/**
 * Verifies a signed webhook: headers present, timestamp inside the replay window, signature valid.
 * The signature comparison runs in constant time.
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
  const expected = signWebhook(secret, timestamp, rawBody)
  // Always run the comparison, even for a malformed header, so timing does not reveal which check failed.
  const given = match ? `sha256=${match[1]!.toLowerCase()}` : ''
  const same = timingSafeEqualStr(given, expected)
  return match && same ? { ok: true } : { ok: false, reason: 'bad_signature' }
}

function toBuffer(body: string | Buffer): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body
}

/** Appends {@link DRAFTDESK_REPLY_MARKER} to a reply Draftdesk posts into WHMCS (idempotent). */
export function markDraftdeskReply(message: string): string {
  return message.endsWith(DRAFTDESK_REPLY_MARKER) ? message : `${message}${DRAFTDESK_REPLY_MARKER}`
}
