/**
 * The built-in drafter's sentences for account facts (issue 30), in the languages it writes (en, de, es,
 * fr, ru). Only the common cases get a sentence, each citing its fact: a service that is suspended,
 * terminated, cancelled or not active yet; an unpaid invoice (overdue, due, or its payment pending); a
 * domain that expired, is in its grace or redemption period, expires within {@link EXPIRING_DAYS} days, or
 * whose registration or transfer is pending, cancelled or gone to another provider. An active service or
 * domain, and the client record, say nothing a customer asked about, so they get none. Dates are written
 * `YYYY-MM-DD` in every language: the one form no reader misreads.
 */
import type { GroundingAccountFact } from './provider.ts'

/** A domain expiring within this many days is worth saying so. */
const EXPIRING_DAYS = 30

interface ServiceParts {
  name: string
  domain: string
  reason: string
}
interface InvoiceParts {
  number: string
  amount: string
  date: string
}
interface DomainParts {
  domain: string
  date: string
}

interface Phrases {
  /** Opens the account part of a reply. */
  intro: string
  /** Leads from the account part to quoted documentation. */
  alsoDocs: string
  service: Record<'Suspended' | 'Terminated' | 'Cancelled' | 'Pending', (p: ServiceParts) => string>
  invoice: Record<'overdue' | 'due' | 'pending', (p: InvoiceParts) => string>
  domain: Record<DomainCase, (p: DomainParts) => string>
  /** Appended to an expiring domain's sentence when automatic renewal is off. */
  autoRenewOff: string
}

type DomainCase =
  | 'Expired'
  | 'Grace'
  | 'Redemption'
  | 'expiring'
  | 'Pending Transfer'
  | 'Pending Registration'
  | 'Pending'
  | 'Transferred Away'
  | 'Cancelled'

const withFor = (word: string, p: ServiceParts) => `${p.name}${p.domain ? ` ${word} ${p.domain}` : ''}`
/** English puts the product before "service": "your Starter service for example.com". */
const en = (p: ServiceParts) => `${p.name ? `${p.name} ` : ''}service${p.domain ? ` for ${p.domain}` : ''}`

const PHRASES: Record<'en' | 'de' | 'es' | 'fr' | 'ru', Phrases> = {
  en: {
    intro: 'Thank you for reaching out. We checked your account:',
    alsoDocs: 'Our documentation also says:',
    service: {
      Suspended: (p) => `Your ${en(p)} is suspended${p.reason ? ` (reason: ${p.reason})` : ''}.`,
      Terminated: (p) => `Your ${en(p)} has been terminated.`,
      Cancelled: (p) => `Your ${en(p)} has been cancelled.`,
      Pending: (p) => `Your ${en(p)} is not active yet: its order is still pending.`,
    },
    invoice: {
      overdue: (p) => `Invoice #${p.number} over ${p.amount} was due on ${p.date} and is still unpaid.`,
      due: (p) => `Invoice #${p.number} over ${p.amount} is due on ${p.date}.`,
      pending: (p) => `The payment of invoice #${p.number} over ${p.amount} is still pending.`,
    },
    domain: {
      Expired: (p) => `The domain ${p.domain} expired${p.date ? ` on ${p.date}` : ''}.`,
      Grace: (p) =>
        `The domain ${p.domain} expired${p.date ? ` on ${p.date}` : ''} and is in its grace period for renewal.`,
      Redemption: (p) =>
        `The domain ${p.domain} expired${p.date ? ` on ${p.date}` : ''} and is now in the redemption period.`,
      expiring: (p) => `The domain ${p.domain} expires on ${p.date}`,
      'Pending Transfer': (p) => `The transfer of ${p.domain} is still pending.`,
      'Pending Registration': (p) => `The registration of ${p.domain} is still pending.`,
      Pending: (p) => `The order for ${p.domain} is still pending.`,
      'Transferred Away': (p) => `The domain ${p.domain} has been transferred away to another provider.`,
      Cancelled: (p) => `The domain ${p.domain} has been cancelled.`,
    },
    autoRenewOff: ' and automatic renewal is off',
  },
  de: {
    intro: 'vielen Dank für Ihre Nachricht. Wir haben Ihr Kundenkonto geprüft:',
    alsoDocs: 'In unserer Dokumentation steht dazu außerdem:',
    service: {
      Suspended: (p) =>
        `Ihr Dienst ${withFor('für', p)} ist gesperrt${p.reason ? ` (Grund: ${p.reason})` : ''}.`,
      Terminated: (p) => `Ihr Dienst ${withFor('für', p)} wurde beendet.`,
      Cancelled: (p) => `Ihr Dienst ${withFor('für', p)} wurde gekündigt.`,
      Pending: (p) => `Ihr Dienst ${withFor('für', p)} ist noch nicht aktiv: Die Bestellung ist noch offen.`,
    },
    invoice: {
      overdue: (p) =>
        `Die Rechnung #${p.number} über ${p.amount} war am ${p.date} fällig und ist noch nicht bezahlt.`,
      due: (p) => `Die Rechnung #${p.number} über ${p.amount} ist am ${p.date} fällig.`,
      pending: (p) => `Die Zahlung der Rechnung #${p.number} über ${p.amount} ist noch in Bearbeitung.`,
    },
    domain: {
      Expired: (p) => `Die Domain ${p.domain} ist${p.date ? ` am ${p.date}` : ''} abgelaufen.`,
      Grace: (p) =>
        `Die Domain ${p.domain} ist${p.date ? ` am ${p.date}` : ''} abgelaufen und befindet sich in der Verlängerungsfrist.`,
      Redemption: (p) =>
        `Die Domain ${p.domain} ist${p.date ? ` am ${p.date}` : ''} abgelaufen und befindet sich jetzt in der Redemption-Phase.`,
      expiring: (p) => `Die Domain ${p.domain} läuft am ${p.date} ab`,
      'Pending Transfer': (p) => `Der Transfer von ${p.domain} ist noch nicht abgeschlossen.`,
      'Pending Registration': (p) => `Die Registrierung von ${p.domain} ist noch nicht abgeschlossen.`,
      Pending: (p) => `Die Bestellung für ${p.domain} ist noch offen.`,
      'Transferred Away': (p) => `Die Domain ${p.domain} wurde zu einem anderen Anbieter übertragen.`,
      Cancelled: (p) => `Die Domain ${p.domain} wurde gekündigt.`,
    },
    autoRenewOff: ' und die automatische Verlängerung ist ausgeschaltet',
  },
  es: {
    intro: 'Gracias por escribirnos. Hemos revisado su cuenta:',
    alsoDocs: 'Nuestra documentación también dice:',
    service: {
      Suspended: (p) =>
        `Su servicio ${withFor('para', p)} está suspendido${p.reason ? ` (motivo: ${p.reason})` : ''}.`,
      Terminated: (p) => `Su servicio ${withFor('para', p)} ha sido dado de baja.`,
      Cancelled: (p) => `Su servicio ${withFor('para', p)} ha sido cancelado.`,
      Pending: (p) => `Su servicio ${withFor('para', p)} aún no está activo: el pedido sigue pendiente.`,
    },
    invoice: {
      overdue: (p) => `La factura #${p.number} por ${p.amount} vencía el ${p.date} y sigue sin pagar.`,
      due: (p) => `La factura #${p.number} por ${p.amount} vence el ${p.date}.`,
      pending: (p) => `El pago de la factura #${p.number} por ${p.amount} sigue pendiente.`,
    },
    domain: {
      Expired: (p) => `El dominio ${p.domain} caducó${p.date ? ` el ${p.date}` : ''}.`,
      Grace: (p) =>
        `El dominio ${p.domain} caducó${p.date ? ` el ${p.date}` : ''} y está en su periodo de gracia para renovarlo.`,
      Redemption: (p) =>
        `El dominio ${p.domain} caducó${p.date ? ` el ${p.date}` : ''} y ahora está en el periodo de redención.`,
      expiring: (p) => `El dominio ${p.domain} caduca el ${p.date}`,
      'Pending Transfer': (p) => `La transferencia de ${p.domain} sigue pendiente.`,
      'Pending Registration': (p) => `El registro de ${p.domain} sigue pendiente.`,
      Pending: (p) => `El pedido de ${p.domain} sigue pendiente.`,
      'Transferred Away': (p) => `El dominio ${p.domain} se ha transferido a otro proveedor.`,
      Cancelled: (p) => `El dominio ${p.domain} ha sido cancelado.`,
    },
    autoRenewOff: ' y la renovación automática está desactivada',
  },
  fr: {
    intro: 'Merci de nous avoir contactés. Nous avons vérifié votre compte :',
    alsoDocs: 'Notre documentation indique également :',
    service: {
      Suspended: (p) =>
        `Votre service ${withFor('pour', p)} est suspendu${p.reason ? ` (motif : ${p.reason})` : ''}.`,
      Terminated: (p) => `Votre service ${withFor('pour', p)} a été résilié.`,
      Cancelled: (p) => `Votre service ${withFor('pour', p)} a été annulé.`,
      Pending: (p) =>
        `Votre service ${withFor('pour', p)} n'est pas encore actif : la commande est toujours en attente.`,
    },
    invoice: {
      overdue: (p) =>
        `La facture #${p.number} de ${p.amount} était due le ${p.date} et n'est toujours pas réglée.`,
      due: (p) => `La facture #${p.number} de ${p.amount} est due le ${p.date}.`,
      pending: (p) => `Le paiement de la facture #${p.number} de ${p.amount} est toujours en cours.`,
    },
    domain: {
      Expired: (p) => `Le domaine ${p.domain} a expiré${p.date ? ` le ${p.date}` : ''}.`,
      Grace: (p) =>
        `Le domaine ${p.domain} a expiré${p.date ? ` le ${p.date}` : ''} et se trouve dans sa période de grâce pour le renouvellement.`,
      Redemption: (p) =>
        `Le domaine ${p.domain} a expiré${p.date ? ` le ${p.date}` : ''} et se trouve maintenant en période de rédemption.`,
      expiring: (p) => `Le domaine ${p.domain} expire le ${p.date}`,
      'Pending Transfer': (p) => `Le transfert de ${p.domain} est toujours en cours.`,
      'Pending Registration': (p) => `L'enregistrement de ${p.domain} est toujours en cours.`,
      Pending: (p) => `La commande de ${p.domain} est toujours en attente.`,
      'Transferred Away': (p) => `Le domaine ${p.domain} a été transféré vers un autre fournisseur.`,
      Cancelled: (p) => `Le domaine ${p.domain} a été annulé.`,
    },
    autoRenewOff: ' et le renouvellement automatique est désactivé',
  },
  ru: {
    intro: 'Спасибо за обращение. Мы проверили ваш аккаунт:',
    alsoDocs: 'В нашей документации также говорится:',
    service: {
      Suspended: (p) =>
        `Ваша услуга ${withFor('для', p)} приостановлена${p.reason ? ` (причина: ${p.reason})` : ''}.`,
      Terminated: (p) => `Ваша услуга ${withFor('для', p)} прекращена.`,
      Cancelled: (p) => `Ваша услуга ${withFor('для', p)} отменена.`,
      Pending: (p) => `Ваша услуга ${withFor('для', p)} ещё не активна: заказ ожидает обработки.`,
    },
    invoice: {
      overdue: (p) =>
        `Счёт #${p.number} на сумму ${p.amount} нужно было оплатить до ${p.date}, он всё ещё не оплачен.`,
      due: (p) => `Счёт #${p.number} на сумму ${p.amount} нужно оплатить до ${p.date}.`,
      pending: (p) => `Оплата счёта #${p.number} на сумму ${p.amount} ещё обрабатывается.`,
    },
    domain: {
      Expired: (p) => `Срок регистрации домена ${p.domain} истёк${p.date ? ` ${p.date}` : ''}.`,
      Grace: (p) =>
        `Срок регистрации домена ${p.domain} истёк${p.date ? ` ${p.date}` : ''}, сейчас идёт льготный период для продления.`,
      Redemption: (p) =>
        `Срок регистрации домена ${p.domain} истёк${p.date ? ` ${p.date}` : ''}, сейчас домен находится в периоде восстановления.`,
      expiring: (p) => `Срок регистрации домена ${p.domain} истекает ${p.date}`,
      'Pending Transfer': (p) => `Перенос домена ${p.domain} ещё не завершён.`,
      'Pending Registration': (p) => `Регистрация домена ${p.domain} ещё не завершена.`,
      Pending: (p) => `Заказ домена ${p.domain} ещё ожидает обработки.`,
      'Transferred Away': (p) => `Домен ${p.domain} переведён к другому регистратору.`,
      Cancelled: (p) => `Регистрация домена ${p.domain} отменена.`,
    },
    autoRenewOff: ', автоматическое продление выключено',
  },
}

/** One sentence about a fact; `explains` when it is a problem with a service or domain itself. */
interface Statement {
  ref: number
  text: string
  explains: boolean
}

/**
 * The sentences that open the account part of a built-in reply ("We checked your account:"), in every
 * language: without the facts after them they say nothing, so learning drops them with the facts.
 */
export function accountIntroSentences(): string[] {
  return Object.values(PHRASES).map((p) => p.intro.split(/(?<=[.!?])\s+/).at(-1)!)
}

/** The phrases of a language the drafter writes, English otherwise. */
export function accountPhrases(language: string): Pick<Phrases, 'intro' | 'alsoDocs'> {
  return PHRASES[language as keyof typeof PHRASES] ?? PHRASES.en
}

/**
 * The sentences for the facts that have one (see the module comment), without their citation: an invoice
 * right after the service or domain it renews.
 */
export function accountStatements(facts: readonly GroundingAccountFact[], language: string): Statement[] {
  const p = PHRASES[language as keyof typeof PHRASES] ?? PHRASES.en
  const out: Statement[] = []
  const invoices = facts.filter((f) => f.kind === 'invoice')
  const said = new Set<number>()
  const sayInvoice = (f: GroundingAccountFact) => {
    const text = invoiceSentence(p, f)
    if (text && !said.has(f.ref)) out.push({ ref: f.ref, text, explains: false })
    said.add(f.ref)
  }
  for (const f of facts) {
    const text =
      f.kind === 'service' ? serviceSentence(p, f) : f.kind === 'domain' ? domainSentence(p, f) : null
    if (!text) continue
    out.push({ ref: f.ref, text, explains: true })
    for (const invoice of invoices.filter((i) => i.renews === f.ref)) sayInvoice(invoice)
  }
  for (const invoice of invoices) sayInvoice(invoice)
  return out
}

function serviceSentence(p: Phrases, f: GroundingAccountFact): string | null {
  const phrase = p.service[f.status as keyof Phrases['service']]
  return phrase ? phrase({ name: f.name ?? '', domain: f.domain ?? '', reason: f.reason ?? '' }) : null
}

function invoiceSentence(p: Phrases, f: GroundingAccountFact): string | null {
  const parts = { number: f.number ?? '', amount: f.amount ?? '', date: f.dueDate ?? '' }
  if (f.status === 'Payment Pending') return p.invoice.pending(parts)
  if (f.overdue && parts.date) return p.invoice.overdue(parts)
  if (parts.date) return p.invoice.due(parts)
  return null
}

function domainSentence(p: Phrases, f: GroundingAccountFact): string | null {
  const parts = { domain: f.domain ?? '', date: f.expiryDate ?? '' }
  const days = f.expiresInDays
  if (f.status === 'Active') {
    if (days === null || days === undefined || days < 0 || days > EXPIRING_DAYS || !parts.date) return null
    return `${p.domain.expiring(parts)}${f.autoRenew === false ? p.autoRenewOff : ''}.`
  }
  const phrase = p.domain[f.status as Exclude<DomainCase, 'expiring'>]
  return phrase ? phrase(parts) : null
}
