import { describe, expect, it } from 'vitest'
import { cleanJson, cleanText, findUnsafeInput, MAX_INPUT_DEPTH } from '#shared/http/safe-input'

describe('Function: findUnsafeInput', () => {
  it('finds NUL bytes and lone surrogates in values and keys, with their paths, in document order', () => {
    // Act
    const issues = findUnsafeInput({ a: 'ok', b: ['x', 'y\u0000'], c: { 'k\ud800': 1 }, d: '\udc00z' })
    // Assess
    expect(issues).toEqual([
      { path: ['b', 1], code: 'nul_byte', message: expect.stringContaining('NUL') },
      { path: ['c', 'k\ufffd'], code: 'lone_surrogate', message: expect.stringMatching(/^key /) },
      { path: ['d'], code: 'lone_surrogate', message: expect.stringContaining('surrogate') },
    ])
  })

  it('accepts well-formed text, surrogate pairs (emoji) and non-string values', () => {
    expect(findUnsafeInput({ emoji: '😀 ok', n: 1, b: true, z: null, list: [1, 'é'] })).toEqual([])
  })

  it('stops at the depth limit without recursing, whatever the depth', () => {
    // Prepare: deeper than any recursive walker could go
    let value: unknown = 'leaf'
    for (let i = 0; i < 200_000; i++) value = [value]
    // Act
    const issues = findUnsafeInput(value)
    // Assess
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatchObject({ code: 'too_deep' })
    expect(issues[0]!.path).toHaveLength(MAX_INPUT_DEPTH)
    expect(findUnsafeInput({ a: { b: 1 } }, 2)).toEqual([])
    expect(findUnsafeInput({ a: { b: {} } }, 2)).toEqual([expect.objectContaining({ path: ['a', 'b'] })])
  })

  it('reports at most 20 issues', () => {
    expect(findUnsafeInput(Array.from({ length: 1000 }, () => '\u0000'))).toHaveLength(20)
  })
})

describe('Function: cleanText and cleanJson', () => {
  it('strips NUL and replaces lone surrogates with U+FFFD, keeping surrogate pairs', () => {
    expect(cleanText('a\u0000b\ud800c\udc00😀')).toBe('ab\ufffdc\ufffd😀')
  })

  it('cleans every string and key of decoded JSON in place, at any depth', () => {
    // Prepare
    const value = JSON.parse(
      `{"a":"x\\u0000","b":[{"c\\u0000":"\\ud800"}],"deep":${'['.repeat(50_000)}"\\u0000"${']'.repeat(50_000)}}`,
    )
    // Act
    const cleaned = cleanJson(value)
    // Assess
    expect(cleaned).toBe(value)
    expect(cleaned.a).toBe('x')
    expect(cleaned.b).toEqual([{ c: '\ufffd' }])
    let leaf: unknown = cleaned.deep
    while (Array.isArray(leaf)) leaf = leaf[0]
    expect(leaf).toBe('')
  })

  it('keeps a key that cleans into __proto__ a plain property (no prototype change)', () => {
    // Act
    const cleaned = cleanJson(JSON.parse('{"__pro\\u0000to__":{"polluted":true}}'))
    // Assess
    expect(Object.getPrototypeOf(cleaned)).toBe(Object.prototype)
    expect(Object.hasOwn(cleaned, '__proto__')).toBe(true)
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
  })
})
