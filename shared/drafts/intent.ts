/**
 * Keyword intent classification of tickets, for analytics and triage (moved out of the draft pipeline so
 * that module stays about the pipeline).
 */

import { foldText } from '../text/fold.ts'
import { compileKeyword, type EscalationReason } from '../trust/escalation.ts'

/** Intents the keyword classifier knows, with patterns in the escalation rules' safe syntax (en/ru/de/es). */
const INTENT_KEYWORDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  [
    'billing',
    [
      'invoice*',
      'billing',
      'bill',
      'payment*',
      'pay',
      'paid',
      'charged',
      'price*',
      'pricing',
      'renew*',
      'счет*',
      'оплат*',
      'платеж*',
      'продлен*',
      'rechnung*',
      'zahlung*',
      'factura*',
      'pago*',
      'cobro*',
    ],
  ],
  [
    'account_access',
    [
      'password*',
      'login',
      'log in',
      'sign in',
      'locked out',
      '2fa',
      'two factor',
      'пароль*',
      'пароля',
      'войти',
      'вход*',
      'passwort*',
      'anmeld*',
      'contrasena*',
      'iniciar sesion',
    ],
  ],
  [
    'email',
    ['email*', 'e mail', 'mailbox*', 'smtp', 'imap', 'pop3', 'outlook', 'thunderbird', 'почт*', 'correo*'],
  ],
  ['domain_dns', ['domain*', 'dns', 'nameserver*', 'propagat*', 'registrar*', 'whois', 'домен*', 'dominio*']],
  ['ssl', ['ssl', 'https', 'certificate*', 'tls', 'сертификат*', 'zertifikat*', 'certificado*']],
  [
    'website_down',
    [
      'down',
      'offline',
      'not loading',
      'unreachable',
      'broken',
      'internal server error',
      '500',
      '502',
      '503',
      'не работает',
      'недоступ*',
      'nicht erreichbar',
      'caid*',
    ],
  ],
  ['migration', ['migrat*', 'transfer*', 'перенос*', 'перенест*', 'umzug*', 'traslad*']],
  ['backup', ['backup*', 'restore*', 'бэкап*', 'резервн*', 'sicherung*', 'copia de seguridad']],
  ['performance', ['slow*', 'speed', 'performance', 'медленн*', 'тормоз*', 'langsam*', 'lento*']],
]

const compiledIntents = INTENT_KEYWORDS.map(
  ([intent, keywords]) =>
    [intent, keywords.map(compileKeyword).filter((r): r is RegExp => r !== null)] as const,
)

/**
 * A simple keyword intent classifier for analytics and triage. An escalation keyword category (refund,
 * legal, ...) is the intent when one matched, because it is what the ticket is about for the business;
 * otherwise the intent with the most matching keywords wins (ties: the order above), else `general`.
 */
export function detectIntent(text: string, reasons: readonly EscalationReason[] = []): string {
  const category = reasons.find((r) => r.code === 'keyword')?.category
  if (category) return category
  const folded = foldText(text)
  let best = 'general'
  let bestHits = 0
  for (const [intent, patterns] of compiledIntents) {
    const hits = patterns.filter((p) => p.test(folded)).length
    if (hits > bestHits) {
      best = intent
      bestHits = hits
    }
  }
  return best
}
