/**
 * Small, dependency-free cryptographic helpers built on `node:crypto`.
 *
 * Secrets at rest (tenant WHMCS credentials) use AES-256-GCM in a versioned text format so the
 * algorithm can change later without a data migration guessing what each row holds.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

const FORMAT_VERSION = 'v1'
const ALGORITHM = 'aes-256-gcm'
const KEY_BYTES = 32
/** 96-bit IVs are what GCM is designed for; other sizes get hashed internally and weaken guarantees. */
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Raised when a ciphertext cannot be decrypted. Never carries key material or plaintext.
 * @internal
 */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError'
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new TypeError(`Encryption key must be a ${KEY_BYTES}-byte Buffer`)
  }
}

/**
 * Encrypts a secret with AES-256-GCM under a fresh random 12-byte IV.
 *
 * @param plain - the secret, as UTF-8 text
 * @param key - 32-byte data-encryption key
 * @returns `v1:<iv b64>:<tag b64>:<ciphertext b64>`
 */
export function encryptSecret(plain: string, key: Buffer): string {
  assertKey(key)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return [FORMAT_VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(
    ':',
  )
}

/**
 * Decrypts a value produced by {@link encryptSecret}.
 *
 * @throws DecryptionError when the format is unknown, the key is wrong or the data was tampered with
 */
export function decryptSecret(text: string, key: Buffer): string {
  assertKey(key)
  const parts = text.split(':')
  if (parts.length !== 4 || parts[0] !== FORMAT_VERSION) {
    throw new DecryptionError('Unsupported encrypted secret format')
  }
  const [, ivB64, tagB64, dataB64] = parts as [string, string, string, string]
  const iv = Buffer.from(ivB64, 'base64')
  const tag = Buffer.from(tagB64, 'base64')
  const data = Buffer.from(dataB64, 'base64')
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw new DecryptionError('Malformed encrypted secret')
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES })
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')
  } catch {
    // Node's message ("Unsupported state or unable to authenticate data") is accurate but opaque.
    throw new DecryptionError('Cannot decrypt secret: wrong key or tampered data')
  }
}

/**
 * Cryptographically random token, base64url encoded (URL and header safe).
 *
 * @param bytes - entropy in bytes (default 32 = 256 bits)
 */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError('bytes must be a positive integer')
  return randomBytes(bytes).toString('base64url')
}

/** Lower-case hex SHA-256 of UTF-8 text or bytes. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Lower-case hex HMAC-SHA256 of `data` under `secret`. */
export function hmacSha256Hex(secret: string | Buffer, data: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex')
}

/**
 * Compares two strings in constant time.
 *
 * Both sides are hashed first so the comparison always runs over 32 equal-length bytes: neither the
 * position of the first difference nor a length mismatch shows in the timing.
 */
export function timingSafeEqualStr(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest()
  const db = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(da, db)
}
