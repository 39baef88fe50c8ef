/**
 * Input that no API field can hold, found before any schema runs: text with a NUL byte (Postgres `text`
 * and `jsonb` reject U+0000), text that is not valid Unicode (a lone UTF-16 surrogate, which `jsonb`
 * rejects and `text` would silently turn into U+FFFD), and structures nested deeper than any request needs
 * (deep JSON overflows the stack of whatever recurses over it next: zod, JSON.stringify, Postgres).
 *
 * API input gets a 400 naming the field ({@link findUnsafeInput}, used by `httpRoute` for path, query and
 * body alike, so a new route or a free-form JSON field is covered without doing anything). Text from WHMCS
 * is not ours to refuse: {@link cleanJson} strips it clean instead, so one odd ticket never blocks a sync
 * or a webhook. Both walk iteratively, so no input depth can overflow the stack here.
 */

/**
 * Deepest nesting of objects and arrays any request may have (the deepest schema needs 3).
 * @internal
 */
export const MAX_INPUT_DEPTH = 32
/** Issues reported at most; the walk stops there, so a body full of NULs costs little. */
const MAX_ISSUES = 20

export interface UnsafeInput {
  path: Array<string | number>
  code: 'nul_byte' | 'lone_surrogate' | 'too_deep'
  message: string
}

type TextProblem = Omit<UnsafeInput, 'path'>

function textProblem(s: string): TextProblem | null {
  if (s.includes('\u0000')) return { code: 'nul_byte', message: 'must not contain NUL (\\u0000) characters' }
  if (!s.isWellFormed()) {
    return { code: 'lone_surrogate', message: 'must be valid Unicode (contains a lone UTF-16 surrogate)' }
  }
  return null
}

/** A key as it can be shown back in an error (`details.path` is JSON, but should stay readable). */
const printable = (key: string) => key.replaceAll('\u0000', '\\u0000').toWellFormed()

/**
 * Every NUL byte, lone surrogate (in values and in object keys) and too-deep structure in a decoded
 * request value, with its path; empty when the value is safe. Stops after 20 issues.
 */
export function findUnsafeInput(value: unknown, maxDepth = MAX_INPUT_DEPTH): UnsafeInput[] {
  const issues: UnsafeInput[] = []
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }]
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const node = stack.pop()!
    if (typeof node.value === 'string') {
      const problem = textProblem(node.value)
      if (problem) issues.push({ path: node.path, ...problem })
      continue
    }
    if (typeof node.value !== 'object' || node.value === null) continue
    if (node.path.length >= maxDepth) {
      issues.push({ path: node.path, code: 'too_deep', message: `nested deeper than ${maxDepth} levels` })
      continue
    }
    const entries: Array<[string | number, unknown]> = Array.isArray(node.value)
      ? node.value.map((v, i) => [i, v])
      : Object.entries(node.value)
    // Pushed in reverse so issues come out in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!
      const keyProblem = typeof key === 'string' ? textProblem(key) : null
      if (keyProblem) {
        issues.push({
          path: [...node.path, printable(key as string)],
          ...keyProblem,
          message: `key ${keyProblem.message}`,
        })
        continue
      }
      stack.push({ value: child, path: [...node.path, key] })
    }
  }
  return issues
}

/** `s` without NUL bytes and with every lone surrogate replaced by U+FFFD (what a UTF-8 decoder does). */
export function cleanText(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '').toWellFormed() : s.toWellFormed()
}

const dirty = (s: string) => s.includes('\u0000') || !s.isWellFormed()

/**
 * Cleans every string (values and keys) of freshly decoded JSON with {@link cleanText}, in place, and
 * returns it. For text from WHMCS, which must be stored even when WHMCS stored something odd.
 */
export function cleanJson<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    const record = node as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const child = record[key]
      let target = key
      if (dirty(key)) {
        delete record[key]
        target = cleanText(key)
      }
      const next = typeof child === 'string' && dirty(child) ? cleanText(child) : child
      // defineProperty, not assignment: a key cleaned into `__proto__` must stay a plain property.
      if (target !== key || next !== child) {
        Object.defineProperty(record, target, {
          value: next,
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
      if (typeof next === 'object' && next !== null) stack.push(next)
    }
  }
  return value
}
