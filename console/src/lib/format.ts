const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A date-time from the API in the reader's locale. */
export const formatDateTime = (iso: string | null | undefined): string =>
  iso ? dateTime.format(new Date(iso)) : '—'

/** How long ago, in the largest whole unit: "3 h", "2 d", "5 min". */
export function waitingFor(iso: string, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - Date.parse(iso)) / 60_000))
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h`
  return `${Math.floor(hours / 24)} d`
}

/** A 0..1 share as a percentage; null as a dash. */
export const percent = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`

/** A number with its unit, or a dash. */
export const num = (x: number | null | undefined, unit = '', digits = 0): string =>
  x === null || x === undefined ? '—' : `${x.toFixed(digits)}${unit}`
