import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  DecryptionError,
  decryptSecret,
  encryptSecret,
  hmacSha256Hex,
  randomToken,
  sha256Hex,
  timingSafeEqualStr,
} from '#shared/crypto'

const key = randomBytes(32)

describe('Function: encryptSecret / decryptSecret', () => {
  it('round-trips UTF-8 secrets in the versioned v1 format', () => {
    // Prepare
    const plain = 'whmcs-secret-ünïcødé-🔑'
    // Act
    const encrypted = encryptSecret(plain, key)
    // Assess
    expect(encrypted).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/)
    const [, iv, tag] = encrypted.split(':')
    expect(Buffer.from(iv!, 'base64')).toHaveLength(12)
    expect(Buffer.from(tag!, 'base64')).toHaveLength(16)
    expect(encrypted).not.toContain(plain)
    expect(decryptSecret(encrypted, key)).toBe(plain)
  })

  it('uses a fresh IV each time, so equal secrets encrypt differently', () => {
    const a = encryptSecret('same', key)
    const b = encryptSecret('same', key)
    expect(a).not.toBe(b)
    expect(a.split(':')[1]).not.toBe(b.split(':')[1])
  })

  it('round-trips the empty string', () => {
    expect(decryptSecret(encryptSecret('', key), key)).toBe('')
  })

  it('rejects a wrong key without revealing anything', () => {
    const encrypted = encryptSecret('top secret', key)
    const act = () => decryptSecret(encrypted, randomBytes(32))
    expect(act).toThrow(DecryptionError)
    expect(act).toThrow(/wrong key or tampered/)
  })

  it('rejects tampered ciphertext, tag and IV', () => {
    // Prepare
    const [v, iv, tag, data] = encryptSecret('top secret', key).split(':') as [string, string, string, string]
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64')
      bytes[0] = bytes[0]! ^ 0x01
      return bytes.toString('base64')
    }
    // Act + Assess
    expect(() => decryptSecret([v, iv, tag, flip(data)].join(':'), key)).toThrow(DecryptionError)
    expect(() => decryptSecret([v, iv, flip(tag), data].join(':'), key)).toThrow(DecryptionError)
    expect(() => decryptSecret([v, flip(iv), tag, data].join(':'), key)).toThrow(DecryptionError)
  })

  it('rejects unknown versions and malformed input', () => {
    const [, iv, tag, data] = encryptSecret('x', key).split(':')
    expect(() => decryptSecret(`v2:${iv}:${tag}:${data}`, key)).toThrow(/Unsupported/)
    expect(() => decryptSecret('plain text', key)).toThrow(DecryptionError)
    expect(() => decryptSecret(`v1:AAAA:${tag}:${data}`, key)).toThrow(/Malformed/)
  })

  it('insists on a 32-byte key', () => {
    expect(() => encryptSecret('x', randomBytes(16))).toThrow(TypeError)
    expect(() => decryptSecret('v1:a:b:c', Buffer.alloc(0))).toThrow(TypeError)
  })
})

describe('Function: randomToken', () => {
  it('returns base64url text of the requested entropy, different every time', () => {
    const a = randomToken(32)
    const b = randomToken(32)
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a).not.toBe(b)
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16)
  })

  it('rejects a non-positive size', () => {
    expect(() => randomToken(0)).toThrow(RangeError)
  })
})

describe('Function: sha256Hex / hmacSha256Hex', () => {
  it('matches the published test vectors', () => {
    // FIPS 180-2 "abc" and RFC 4231 test case 2.
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(hmacSha256Hex('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
    expect(sha256Hex(Buffer.from('abc'))).toBe(sha256Hex('abc'))
  })
})

describe('Function: timingSafeEqualStr', () => {
  it('is true only for identical strings, whatever the lengths', () => {
    expect(timingSafeEqualStr('sha256=abc', 'sha256=abc')).toBe(true)
    expect(timingSafeEqualStr('sha256=abc', 'sha256=abd')).toBe(false)
    expect(timingSafeEqualStr('short', 'a much longer string')).toBe(false)
    expect(timingSafeEqualStr('', '')).toBe(true)
    expect(timingSafeEqualStr('', 'x')).toBe(false)
  })
})
