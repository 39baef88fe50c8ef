import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BuiltinProvider } from '#shared/ai/builtin'
import { charGrams, dot, fnv1a, hashedEmbedding } from '#shared/ai/hashed-embedding'
import type { Grounding } from '#shared/ai/provider'
import { STOP_WORDS, stem, words } from '#shared/text/words'

const norm = (v: number[]) => Math.hypot(...v)

describe('Function: hashedEmbedding', () => {
  it('is deterministic, 768-d and unit length', () => {
    // Act
    const first = hashedEmbedding('How do I point my domain to your nameservers?')
    const second = hashedEmbedding('How do I point my domain to your nameservers?')

    // Assess
    expect(first).toEqual(second)
    expect(first).toHaveLength(768)
    expect(norm(first)).toBeCloseTo(1, 10)
  })

  it('maps empty and stop-word-only text to unit vectors, never to zero', () => {
    // Act
    const empty = hashedEmbedding('')
    const stopWords = hashedEmbedding('how do I')

    // Assess
    expect(norm(empty)).toBeCloseTo(1, 10)
    expect(norm(stopWords)).toBeCloseTo(1, 10)
  })

  it('places a paraphrase closer than unrelated text', () => {
    // Prepare
    const question = hashedEmbedding('How do I reset my password?')

    // Act
    const paraphrase = dot(question, hashedEmbedding('Steps to change a forgotten account password'))
    const unrelated = dot(question, hashedEmbedding('Our data center uses redundant power supplies'))

    // Assess
    expect(paraphrase).toBeGreaterThan(unrelated + 0.15)
  })

  it('matches inflected forms through stemming and character n-grams', () => {
    // Prepare
    const question = hashedEmbedding('my payments failed')

    // Act
    const inflected = dot(question, hashedEmbedding('Payment failure: what to check'))
    const unrelated = dot(question, hashedEmbedding('Configure SPF records for email'))

    // Assess
    expect(inflected).toBeGreaterThan(0.2)
    expect(inflected).toBeGreaterThan(unrelated + 0.2)
  })

  it('works on Cyrillic text, across inflections', () => {
    // Prepare
    const question = hashedEmbedding('Как сбросить пароль от панели управления?')

    // Act
    const related = dot(question, hashedEmbedding('Сброс пароля панели управления: откройте страницу входа'))
    const unrelated = dot(question, hashedEmbedding('Оплата счетов банковской картой'))

    // Assess
    expect(related).toBeGreaterThan(0.2)
    expect(related).toBeGreaterThan(unrelated + 0.2)
  })
})

/**
 * The embedding's definition written plainly (the code before its per-word caches): every feature a string,
 * counted in a Map. Stored vectors and the calibrated thresholds depend on the exact output.
 */
function plainEmbedding(text: string): number[] {
  const all = words(text)
  const kept = all.filter((w) => !STOP_WORDS.has(w))
  const tokens = kept.length > 0 ? kept : all
  const stems = tokens.map(stem)
  const count = (features: string[]) => {
    const counts = new Map<string, number>()
    for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1)
    return counts
  }
  const families: Array<[number, Map<string, number>]> = [
    [1, count(stems.map((s) => `w:${s}`))],
    [0.5, count(stems.slice(1).map((s, i) => `b:${stems[i]} ${s}`))],
    [0.6, count(tokens.flatMap(charGrams))],
  ]
  const vector = new Array<number>(768).fill(0)
  for (const [weight, counts] of families) {
    let sum = 0
    for (const tf of counts.values()) sum += (1 + Math.log(tf)) ** 2
    if (sum === 0) continue
    const scale = weight / Math.sqrt(sum)
    for (const [feature, tf] of counts) {
      const hash = fnv1a(feature)
      const bucket = hash % 768
      vector[bucket] = (vector[bucket] ?? 0) + (hash & 0x80000000 ? -1 : 1) * scale * (1 + Math.log(tf))
    }
  }
  const length = Math.hypot(...vector)
  if (length === 0) {
    vector[fnv1a('∅') % 768] = 1
    return vector
  }
  return vector.map((x) => x / length)
}

describe('Function: hashedEmbedding, against its plain definition', () => {
  it('gives bit-identical vectors, in any order, with the caches warm, cold or just started again', () => {
    // Prepare
    const folder = join(import.meta.dirname, '../fixtures/kb/articles')
    const articles = readdirSync(folder).map((f) => readFileSync(join(folder, f), 'utf8'))
    const texts = [
      ...articles,
      '',
      'how do I',
      'Как сбросить пароль от панели управления? Пароль пароля паролем.',
      'Emoji 😀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 words, cPanel c-panel CPANEL, don’t repeat repeat repeat',
      'Ärger mit der Weiterleitung: Straße, Größe, façade, naïve',
    ]

    // 100,001 distinct words: past the caches' limit, so the next call starts them again.
    const manyWords = Array.from({ length: 100_001 }, (_, i) => `id${i.toString(36)}`).join(' ')

    // Act
    const first = texts.map(hashedEmbedding)
    const again = [...texts].reverse().map(hashedEmbedding).reverse()
    const huge = hashedEmbedding(manyWords)
    const afterReset = texts.map(hashedEmbedding)

    // Assess
    for (const [i, text] of texts.entries()) {
      const expected = plainEmbedding(text)
      expect(first[i]).toEqual(expected)
      expect(again[i]).toEqual(expected)
      expect(afterReset[i]).toEqual(expected)
    }
    expect(huge).toEqual(plainEmbedding(manyWords))
  })
})

describe('Function: charGrams', () => {
  it('gives the code-point 3- and 4-grams of the marked word, for every script (stored vectors depend on them)', () => {
    // The definition, one code point per character (what the fast path must equal).
    const reference = (word: string) => {
      const chars = Array.from(`⟨${word}⟩`)
      return [3, 4].flatMap((n) =>
        Array.from(
          { length: Math.max(0, chars.length - n + 1) },
          (_, i) => `c:${chars.slice(i, i + n).join('')}`,
        ),
      )
    }
    for (const word of [
      'a',
      'ab',
      'cpanel',
      'wordpress',
      'почта',
      'ящик',
      '邮件服务器',
      'café',
      'cafe\u0301',
      '🔥ssl',
      'a😀b𝔘c',
      '',
    ]) {
      expect(charGrams(word)).toEqual(reference(word))
    }
  })
})

describe('Function: BuiltinProvider.embed', () => {
  it('returns one vector per text in order, independent of kind', async () => {
    // Prepare
    const provider = new BuiltinProvider()
    const texts = ['renew my domain', 'cancel hosting', 'renew my domain']

    // Act
    const documents = await provider.embed(texts, 'document')
    const queries = await provider.embed(texts, 'query')

    // Assess
    expect(documents).toHaveLength(3)
    expect(documents[0]).toEqual(documents[2])
    expect(documents[0]).not.toEqual(documents[1])
    expect(queries).toEqual(documents)
    expect(provider.dimensions).toBe(768)
    expect(provider.name).toBe('builtin')
  })
})

describe('Function: BuiltinProvider.chat', () => {
  const grounding: Grounding = {
    question: 'How can I reset my cPanel password?',
    sources: [
      {
        ref: 1,
        title: 'Invoices',
        text: 'Invoices\n\nInvoices are generated 14 days before the due date. You can pay by card or PayPal.',
      },
      {
        ref: 2,
        title: 'cPanel access',
        text:
          'cPanel access › Password\n\nTo reset your cPanel password, log in to the client area and open ' +
          'your hosting service. Click "Change Password" under Actions. Our office is in Berlin.',
      },
    ],
  }

  it('drafts from the matching source sentences and cites them', async () => {
    // Prepare
    const provider = new BuiltinProvider()

    // Act
    const result = await provider.chat([{ role: 'user', content: 'prompt with sources' }], { grounding })

    // Assess
    expect(result.model).toBe('builtin-extractive')
    expect(result.content).toContain('To reset your cPanel password, log in to the client area')
    expect(result.content).toContain('[2]')
    expect(result.content).not.toContain('[1]')
    expect(result.content).not.toContain('Berlin')
    expect(result.content).not.toContain('cPanel access ›')
    expect(result.content.startsWith('Hello,')).toBe(true)
    expect(result.promptTokens).toBeGreaterThan(0)
    expect(result.completionTokens).toBe(Math.ceil(result.content.length / 4))
  })

  it('never quotes a source sentence that restates the question, nor a source’s own citation markers', async () => {
    // Prepare: a learnt reply that echoed its own customer's question and kept its draft's markers.
    const provider = new BuiltinProvider()
    const echoing = {
      ref: 3,
      title: 'Earlier reply by our team',
      text:
        'You asked how can I reset my cPanel password quickly. How can I reset my cPanel password? ' +
        'Open Services, choose your plan and click Change cPanel Password [1] [2].',
    }

    // Act
    const result = await provider.chat([], {
      grounding: { question: 'How can I reset my cPanel password quickly?', sources: [echoing] },
    })

    // Assess
    expect(result.content).toContain('click Change cPanel Password [3].')
    expect(result.content).not.toMatch(/How can I reset|You asked/)
    expect(result.content).not.toMatch(/\[[12]\]/)
  })

  it('is deterministic', async () => {
    // Prepare
    const provider = new BuiltinProvider()

    // Act
    const [a, b] = await Promise.all([provider.chat([], { grounding }), provider.chat([], { grounding })])

    // Assess
    expect(a).toEqual(b)
  })

  it('says an agent will follow up when nothing relevant is retrieved', async () => {
    // Prepare
    const provider = new BuiltinProvider()

    // Act
    const unrelated = await provider.chat([], {
      grounding: { question: 'Do you support IPv6 on dedicated servers?', sources: grounding.sources },
    })
    const ungrounded = await provider.chat([{ role: 'user', content: 'Where is my refund?' }])

    // Assess
    for (const result of [unrelated, ungrounded]) {
      expect(result.content).toContain('an agent will follow up')
      expect(result.content).not.toMatch(/\[\d+\]/)
    }
  })

  it('replies in Russian to a Cyrillic question', async () => {
    // Prepare
    const provider = new BuiltinProvider()

    // Act
    const result = await provider.chat([], {
      grounding: {
        question: 'Как сбросить пароль панели управления?',
        sources: [
          {
            ref: 1,
            title: 'Пароль',
            text: 'Чтобы сбросить пароль панели управления, откройте личный кабинет.',
          },
        ],
      },
    })

    // Assess
    expect(result.content).toContain('Здравствуйте')
    expect(result.content).toContain('откройте личный кабинет [1].')
  })

  const dns = {
    ref: 1,
    title: 'DNS propagation',
    text:
      'DNS propagation › How long\n\nResolvers around the world cache DNS records for the time set in the ' +
      'record TTL, so DNS changes are not seen everywhere at once. Registries also publish nameserver ' +
      'updates on their own schedule. In practice a nameserver change is visible within 4 to 24 hours, at ' +
      'most 48 hours. You can check the DNS records with a public lookup tool.',
  }

  it('answers "how long" with the sentence that holds the duration, not the first one', async () => {
    // Prepare
    const provider = new BuiltinProvider()

    // Act
    const result = await provider.chat([], {
      grounding: { question: 'How long until my DNS updates after changing nameservers?', sources: [dns] },
    })

    // Assess
    const quoted = result.content.split('\n\n')[2]!
    expect(quoted).toContain('within 4 to 24 hours, at most 48 hours [1].')
  })

  it("writes its own sentences in the customer's language and says the sources are in English", async () => {
    // Prepare
    const provider = new BuiltinProvider()

    // Act
    const result = await provider.chat([], {
      grounding: {
        question: 'Wie lange dauert es, bis die Nameserver-Änderung bei DNS überall sichtbar ist?',
        sources: [dns],
        language: 'de',
        sourcesLanguage: 'en',
      },
    })

    // Assess
    expect(result.content.startsWith('Hallo,')).toBe(true)
    expect(result.content).toContain('Dokumentation auf Englisch')
    expect(result.content).toContain('4 to 24 hours')
    expect(result.content).toContain('Viele Grüße')
  })

  it("takes the sources to be in the reply's language when the caller does not say", async () => {
    // Act
    const result = await new BuiltinProvider().chat([], {
      grounding: {
        question: 'Wie lange dauert es, bis die Nameserver-Änderung bei DNS überall sichtbar ist?',
        sources: [dns],
        language: 'de',
      },
    })

    // Assess: German frame around the English quote, without the note about it
    expect(result.content.startsWith('Hallo,')).toBe(true)
    expect(result.content).toContain('4 to 24 hours')
    expect(result.content).not.toContain('Dokumentation auf')
  })
})
