import { describe, expect, it } from 'vitest'
import { parseConfig } from '#shared/config'

describe('Function: parseConfig HOST and PUBLIC_URL', () => {
  it('listens on loopback and has no public URL unless told', () => {
    const config = parseConfig({})
    expect(config.HOST).toBe('127.0.0.1')
    expect(config.PUBLIC_URL).toBeUndefined()
  })

  it('takes an address or host name to listen on', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'draftdesk.lan']) {
      expect(parseConfig({ HOST: host }).HOST).toBe(host)
    }
    expect(() => parseConfig({ HOST: 'not a host' })).toThrow(/HOST/)
  })

  it('keeps the public URL without trailing slashes, so links never get a double slash', () => {
    expect(parseConfig({ PUBLIC_URL: 'https://desk.example.com/' }).PUBLIC_URL).toBe(
      'https://desk.example.com',
    )
    expect(parseConfig({ PUBLIC_URL: 'https://example.com/draftdesk//' }).PUBLIC_URL).toBe(
      'https://example.com/draftdesk',
    )
  })

  it('refuses a public URL that is not http(s), or carries a query or fragment', () => {
    for (const bad of [
      'desk.example.com',
      'ftp://desk.example.com',
      'https://desk.example.com/?a=1',
      'https://d.example/#x',
    ]) {
      expect(() => parseConfig({ PUBLIC_URL: bad }), bad).toThrow(/PUBLIC_URL/)
    }
  })
})
