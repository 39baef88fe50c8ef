import { describe, expect, it } from 'vitest'
import { maskPii, unmaskPii } from '../../shared/text/pii.ts'

describe('Function: maskPii', () => {
  it('masks e-mails with stable placeholders for the same value', () => {
    // Prepare
    const text = 'Write to John.Doe@Example.com or jane@example.org; again: john.doe@example.com'

    // Act
    const { masked, vault } = maskPii(text)

    // Assess
    expect(masked).toBe('Write to [EMAIL_1] or [EMAIL_2]; again: [EMAIL_1]')
    expect(vault.get('[EMAIL_1]')).toBe('John.Doe@Example.com')
    expect(vault.get('[EMAIL_2]')).toBe('jane@example.org')
  })

  it.each([
    '+7 (999) 123-45-67',
    '+1 555-123-4567',
    '+49 30 1234567',
    '+44 20 7946 0958',
    '0049 30 12345678',
    '(555) 123-4567',
    '8 800 555 35 35',
    '89991234567',
  ])('masks the phone number %s', (phone) => {
    // Prepare / Act
    const { masked, vault } = maskPii(`Call me at ${phone}, thanks`)

    // Assess
    expect(masked).toBe('Call me at [PHONE_1], thanks')
    expect(vault.get('[PHONE_1]')).toBe(phone)
  })

  it.each([
    'Order 2024-01-15 was paid',
    'Ticket #123456 is open',
    'Version 8.1.27 of PHP',
    'Port 2083 is closed',
  ])('leaves non-phone numbers alone: %s', (text) => {
    // Prepare / Act
    const { masked, vault } = maskPii(text)

    // Assess
    expect(masked).toBe(text)
    expect(vault.size).toBe(0)
  })

  it('masks Luhn-valid card numbers in any grouping, and only those', () => {
    // Prepare
    const text =
      'Cards: 4242 4242 4242 4242, 4000-0566-5566-5556, 378282246310005; not a card: 1234 5678 9012 3456'

    // Act
    const { masked, vault } = maskPii(text)

    // Assess
    expect(masked).toMatch(/^Cards: \[CARD_1\], \[CARD_2\], \[CARD_3\]; not a card: /)
    expect(masked).not.toContain('4242')
    expect(vault.get('[CARD_3]')).toBe('378282246310005')
  })

  it('masks IBANs that pass the mod-97 check, without eating the next word', () => {
    // Prepare
    const text = 'IBAN DE89 3704 0044 0532 0130 00 THANKS, also GB82WEST12345698765432.'

    // Act
    const { masked, vault } = maskPii(text)

    // Assess
    expect(masked).toBe('IBAN [IBAN_1] THANKS, also [IBAN_2].')
    expect(vault.get('[IBAN_1]')).toBe('DE89 3704 0044 0532 0130 00')
  })

  it.each([
    ['password: hunter2!', 'password: [SECRET_1]'],
    ['Password for cPanel: Xy12!ab', 'Password for cPanel: [SECRET_1]'],
    ['pass=s3cr3t&user=bob', 'pass=[SECRET_1]'],
    ['пароль: qwerty123', 'пароль: [SECRET_1]'],
    ['Пароль от панели = Zz9', 'Пароль от панели = [SECRET_1]'],
    ['Passwort: "mit leerzeichen drin"', 'Passwort: [SECRET_1]'],
    ['contraseña: abc123', 'contraseña: [SECRET_1]'],
  ])('masks the secret in "%s"', (text, expected) => {
    // Prepare / Act
    const { masked } = maskPii(text)

    // Assess
    expect(masked).toBe(expected)
  })

  it('does not treat a question about passwords as a secret', () => {
    // Prepare
    const text = 'How do I reset my cPanel password? My password is not working.'

    // Act
    const { masked } = maskPii(text)

    // Assess
    expect(masked).toBe(text)
  })

  it('detects IPs so they are not taken for phones, and masks them only on request', () => {
    // Prepare
    const text = 'Server 192.168.100.200 is down'

    // Act
    const kept = maskPii(text)
    const masked = maskPii(text, { maskIps: true })

    // Assess
    expect(kept.masked).toBe(text)
    expect(masked.masked).toBe('Server [IP_1] is down')
  })

  it('continues an existing vault so one ticket shares placeholders', () => {
    // Prepare
    const subject = maskPii('Mail for bob@example.com')

    // Act
    const body = maskPii('bob@example.com and alice@example.com', { vault: subject.vault })

    // Assess
    expect(body.masked).toBe('[EMAIL_1] and [EMAIL_2]')
    expect(body.vault).toBe(subject.vault)
  })
})

describe('Function: unmaskPii', () => {
  it('round-trips e-mails and phones', () => {
    // Prepare
    const text = 'Contact alice@example.com or +44 20 7946 0958 about it.'
    const { masked, vault } = maskPii(text)

    // Act
    const restored = unmaskPii(masked, vault)

    // Assess
    expect(masked).not.toContain('alice')
    expect(restored).toBe(text)
  })

  it('never restores cards or secrets, even when asked', () => {
    // Prepare
    const { masked, vault } = maskPii(
      'Card 4242 4242 4242 4242, password: hunter2, IBAN DE89370400440532013000',
    )
    const draft = `We saw ${masked.replace('Card ', 'card ')}.`

    // Act
    const restored = unmaskPii(draft, vault, { restore: ['EMAIL', 'PHONE'] })
    const forced = unmaskPii(draft, vault, { restore: ['EMAIL', 'PHONE', 'CARD', 'SECRET'] as never })

    // Assess
    expect(restored).toBe('We saw card [card ending 4242], password: [redacted], IBAN [account ending 3000].')
    expect(forced).toBe(restored)
    expect(forced).not.toContain('hunter2')
  })

  it('leaves placeholders the vault does not know, and kinds not asked for, as they are', () => {
    // Prepare
    const { masked, vault } = maskPii('Mail bob@example.com, phone +1 555-123-4567')

    // Act
    const restored = unmaskPii(`${masked} and [EMAIL_9]`, vault, { restore: ['EMAIL'] })

    // Assess
    expect(restored).toBe('Mail bob@example.com, phone [PHONE_1] and [EMAIL_9]')
  })

  it('round-trips a mixed text for many generated customers', () => {
    // Prepare
    const texts = Array.from(
      { length: 50 },
      (_, i) =>
        `Hi, I'm user${i}@mail${i % 7}.example.net, phone +7 (9${String(i).padStart(2, '0')}) 123-45-67. Thanks!`,
    )

    for (const text of texts) {
      // Act
      const { masked, vault } = maskPii(text)

      // Assess
      expect(masked).toBe("Hi, I'm [EMAIL_1], phone [PHONE_1]. Thanks!")
      expect(unmaskPii(masked, vault)).toBe(text)
    }
  })
})
