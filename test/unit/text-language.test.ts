import { describe, expect, it } from 'vitest'
import { detectLanguage } from '../../shared/text/language.ts'

describe('Function: detectLanguage', () => {
  it.each([
    ['How long until my DNS change shows up for everyone?', 'en'],
    ['my site down', 'en'],
    ['ssl not working', 'en'],
    ['Hallo, wie lange dauert es, bis meine Nameserver-Änderung überall sichtbar ist?', 'de'],
    ['Mein Webseite geht nicht', 'de'],
    ['Hola, mi web no carga desde ayer', 'es'],
    ['¿Cuánto tiempo tarda la propagación DNS?', 'es'],
    ['Bonjour, comment changer le mot de passe de ma boîte mail ?', 'fr'],
    ['Сколько времени обновляется DNS после смены серверов имён?', 'ru'],
    ['Скільки часу оновлюються DNS? Дякую, їжак', 'uk'],
  ])('detects %j as %s', (text, expected) => {
    // Act
    const guess = detectLanguage(text)

    // Assess
    expect(guess.language).toBe(expected)
  })

  it('uses trigrams for a longer text without distinctive function words, and English when nothing is known', () => {
    // Prepare
    const italian =
      'Buongiorno, vorrei sapere se posso trasferire il dominio presso un altro registrar senza perdere la posta elettronica'

    // Act
    const long = detectLanguage(italian)
    const empty = detectLanguage('12345 ???')

    // Assess
    expect(long.language).toBe('it')
    expect(empty).toEqual({ language: 'en', method: 'default' })
  })

  it.each([
    'White screen on WordPress after upgrading PHP\nHello,\nWhite screen on WordPress after upgrading PHP to 8.2.\nRegards,\nJan',
    'Site down\nHello, site down since update. Kind regards, Pieter van Dam',
    'PHP upgrade broke site\nGood morning, PHP upgrade broke site. Regards, Ana',
  ])(
    'keeps a short English ticket with a greeting and a sign-off English (%j): trigrams need a floor of evidence',
    (text) => {
      // Act
      const guess = detectLanguage(text)

      // Assess: trigrams alone guessed Dutch for all three before the floor
      expect(guess.language).toBe('en')
    },
  )
})
