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
})
