import { describe, expect, it } from 'vitest'
import { BuiltinProvider, charGrams, dot, hashedEmbedding } from '#shared/ai/builtin'
import type { Grounding } from '#shared/ai/provider'

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
      },
    })

    // Assess
    expect(result.content.startsWith('Hallo,')).toBe(true)
    expect(result.content).toContain('Dokumentation auf Englisch')
    expect(result.content).toContain('4 to 24 hours')
    expect(result.content).toContain('Viele Grüße')
  })
})
