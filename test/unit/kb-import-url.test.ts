import { describe, expect, it } from 'vitest'
import { targetUrl } from '../../local/kb-import.ts'

describe('Function: targetUrl (where npm run kb:import sends articles)', () => {
  it('finds the local runtime where npm start listens: 127.0.0.1 on PORT', () => {
    expect(targetUrl(undefined, { PORT: 3000 })).toBe('http://127.0.0.1:3000')
    expect(targetUrl(undefined, { PORT: 8088 })).toBe('http://127.0.0.1:8088')
  })

  it('prefers --url, then DRAFTDESK_URL, then PUBLIC_URL, without a trailing slash', () => {
    const env = { PORT: 8088, DRAFTDESK_URL: 'http://cli.test/', PUBLIC_URL: 'https://desk.test' }
    expect(targetUrl('http://flag.test:9000/', env)).toBe('http://flag.test:9000')
    expect(targetUrl(undefined, env)).toBe('http://cli.test')
    expect(targetUrl(undefined, { PORT: 8088, PUBLIC_URL: 'https://desk.test' })).toBe('https://desk.test')
  })

  it('asks for --url when PORT=0 leaves the port to the runtime', () => {
    expect(() => targetUrl(undefined, { PORT: 0 })).toThrow(/give --url/)
    expect(targetUrl('http://127.0.0.1:41234', { PORT: 0 })).toBe('http://127.0.0.1:41234')
  })
})
