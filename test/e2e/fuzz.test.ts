/**
 * Fuzz of every route in shared/routes.ts (issue 13): generated bad values — NUL bytes, lone surrogates,
 * huge, negative, float and hex numbers, deep nesting, wrong types, oversize strings, dates out of range or
 * off the calendar (issue 26), unknown fields — in path parameters, query strings and bodies, sent with a
 * superadmin token (enough for every route) and, to the webhook, validly signed. Every answer must be a 4xx
 * (the webhook may also answer 200: it stores WHMCS text cleaned, by design), and a 4xx must leave the
 * database exactly as it was.
 *
 * What is sent is derived from the route table and the zod request schemas (via their JSON Schema), so a
 * new route or field is fuzzed without editing this file. Each field is mutated on top of a request that is
 * otherwise valid, so the bad value is what the route sees. Deterministic: a seeded generator.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { contract, type RouteSpec } from '#shared/api/contract'
import { whmcsWebhookBody } from '#shared/api/integrations'
import { routeKey, routes } from '#shared/routes'
import { signWebhook } from '#shared/whmcs/signature'
import { startTestApp, type TestApp } from '../helpers/app.ts'

/** JSON Schema documents are walked generically. */
type JsonSchema = Record<string, any>
interface Case {
  label: string
  path: Record<string, string>
  query: Array<[string, string]>
  /** The body as raw JSON text (deep nesting cannot go through JSON.stringify). */
  raw?: string
}

const WEBHOOK = 'POST /webhooks/whmcs/{tenantSlug}'
const DEEP = 5_000
const deepRaw = `${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`
const DEEP_MARK = '__fuzz_deep__'

/** mulberry32: a tiny seeded PRNG, so every run sends the same values. */
function prng(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const rand = prng(13)
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!
/** Printable text with a NUL (or, for JSON, a lone surrogate) at a random place. */
function poisoned(json = true): string {
  const text = Array.from({ length: 1 + Math.floor(rand() * 40) }, () =>
    String.fromCharCode(32 + Math.floor(rand() * 95)),
  ).join('')
  const at = Math.floor(rand() * text.length)
  const bad = json ? pick(['\u0000', '\ud800', '\udfff', '\u0000\u0000']) : pick(['\u0000', '\u0000\u0000'])
  return text.slice(0, at) + bad + text.slice(at)
}

/** Values that are valid for fields of this name whatever their schema (patterns, cross-field rules). */
const NAMED: Record<string, unknown> = {
  tenant: 'root',
  tenantSlug: 'fuzz',
  slug: 'fuzz-new',
  password: 'password-123',
  weights: { global_kb: 0.25, tenant_kb: 0.25, approved_example: 0.25, correction: 0.25 },
  event: 'TicketOpen',
}

/**
 * Well-formed values a field of this name must still refuse (issue 26: a whmcsUrl that aims the server at
 * itself, its network or the cloud metadata service). The fuzz runtime allows no private network.
 */
const HOSTILE: Record<string, readonly unknown[]> = {
  whmcsUrl: [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://[::1]:3000/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://127.1/',
    'http://0/',
    'http://10.0.0.1/',
    'http://192.168.0.1/',
    'http://100.100.100.200/',
    'http://[::ffff:169.254.169.254]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://224.0.0.1/',
    'gopher://127.0.0.1:6379/_INFO',
    'file:///etc/passwd',
    'http://user:pass@billing.example.com/',
  ],
}

const toSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonSchema

function types(s: JsonSchema): Set<string> {
  if (s.anyOf) return new Set((s.anyOf as JsonSchema[]).flatMap((x) => [...types(x)]))
  if (s.enum) return new Set(['enum'])
  if (s.const !== undefined) return new Set(['enum'])
  if (Array.isArray(s.type)) return new Set(s.type)
  return new Set(s.type ? [s.type] : ['any'])
}

/** A minimal valid value: required properties only. */
function example(s: JsonSchema, name = ''): unknown {
  if (name in NAMED) return NAMED[name]
  if (s.const !== undefined) return s.const
  if (s.enum) return s.enum[0]
  if (s.anyOf) return example(s.anyOf[0], name)
  switch (s.type) {
    case 'string':
      if (s.format === 'email') return 'fuzz@example.com'
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z'
      if (s.format === 'date') return '2026-01-01'
      if (s.format === 'uri') return 'https://example.com'
      return 'a'.repeat(Math.max(1, s.minLength ?? 1))
    case 'integer':
    case 'number':
      return Math.min(Math.max(s.minimum ?? 1, 1), s.maximum ?? Number.POSITIVE_INFINITY)
    case 'boolean':
      return true
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => example(s.items))
    case 'object':
      return Object.fromEntries(((s.required ?? []) as string[]).map((k) => [k, example(s.properties[k], k)]))
    default:
      return 'a'
  }
}

/**
 * Well-formed or nearly well-formed dates that no calendar or no database column holds: each must be a 400
 * (Postgres refuses year 0 with a 500, and years past 9999 do not even serialise as ISO text).
 */
const BAD_DATES: Array<[string, string]> = [
  ['not a date', '2026-13-45'],
  ['year 0000', '0000-01-01'],
  ['year 0 through an offset', '0001-01-01T00:30:00+01:00'],
  ['month 13', '2026-13-01'],
  ['February 30', '2026-02-30'],
  ['year 10000', '10000-01-01'],
  ['year 10000 through an offset', '9999-12-31T23:00:00-05:00'],
]
const isDate = (s: JsonSchema): boolean =>
  s.format === 'date-time' || s.format === 'date' || Boolean(s.anyOf?.some(isDate))

/** Bad JSON values for a body field of this schema; `DEEP_MARK` stands for 5,000 levels of nesting. */
function badBodyValues(s: JsonSchema): Array<[string, unknown]> {
  const t = types(s)
  const out: Array<[string, unknown]> = [
    ['nul', 'a\u0000b'],
    ['lone surrogate', '\ud800x'],
    ['nul key', { 'k\u0000': 1 }],
    ['deep nesting', DEEP_MARK],
    ['random poisoned text', poisoned()],
  ]
  const wrong: Array<[string, unknown]> = [
    ['string', 'fuzz'],
    ['number', 12345],
    ['boolean', true],
    ['object', {}],
    ['array', []],
    ['null', null],
  ]
  for (const [type, value] of wrong) {
    const accepted = t.has(type) || (type === 'number' && t.has('integer')) || t.has('any')
    if (!accepted) out.push([`wrong type ${type}`, value])
  }
  if (t.has('enum')) out.push(['not in enum', 'not-an-enum-value'])
  if (isDate(s)) out.push(...BAD_DATES)
  const str = s.anyOf ? (s.anyOf as JsonSchema[]).find((x) => x.type === 'string') : s.type === 'string' && s
  if (str && !t.has('enum')) {
    out.push(['oversize string', 'x'.repeat(str.maxLength ? str.maxLength + 1 : 300_000)])
    if ((str.minLength ?? 0) >= 1) out.push(['empty string', ''])
  }
  const int = s.anyOf
    ? (s.anyOf as JsonSchema[]).find((x) => x.type === 'integer')
    : s.type === 'integer' && s
  const num = int || (s.type === 'number' && s)
  if (num) {
    if (num.maximum !== undefined) out.push(['above maximum', num.maximum + 1])
    if (num.minimum !== undefined) out.push(['below minimum', num.minimum - 1])
    if (num.maximum === undefined || num.maximum < 99999999999) out.push(['huge number', 99999999999])
    out.push(['random huge int', 2 ** 31 + Math.floor(rand() * 2 ** 40)])
    if (int) out.push(['float', 1.5])
    if (int && t.has('string'))
      for (const v of ['0x10', '1e1', ' 1', '1.0', '-1']) out.push([`loose ${v}`, v])
  }
  if (s.type === 'array') {
    if (s.maxItems !== undefined)
      out.push(['too many items', Array.from({ length: s.maxItems + 1 }, () => example(s.items))])
    out.push(['bad item', [s.items?.type === 'number' || s.items?.type === 'integer' ? 'fuzz' : 12345]])
  }
  if (s.type === 'object' && s.properties && s.additionalProperties === false)
    out.push(['unknown nested field', { ...(example(s) as object), __fuzz__: 1 }])
  return out
}

/** Bad query-string or path values (raw, already URL-encoded) for a parameter of this schema. */
function badTextValues(s: JsonSchema, name: string, where: 'path' | 'query'): Array<[string, string]> {
  const t = types(s)
  const enc = encodeURIComponent
  const out: Array<[string, string]> = [
    ['nul', '%00'],
    ['nul inside', `a${enc('\u0000')}b`],
    ['random poisoned text', enc(poisoned(false))],
    ['oversize', 'x'.repeat(((s.maxLength as number | undefined) ?? 200) + 1)],
  ]
  // A query string decodes malformed percent-encoding to U+FFFD (valid text); a path refuses it.
  if (where === 'path') out.push(['malformed percent-encoding', '%E0%A4%A'])
  const numeric = t.has('integer') || name === 'cursor' || where === 'path'
  if (numeric) {
    // Beyond every id range, int4 and bigint (audit) alike.
    const huge = name === 'cursor' ? '9007199254740993' : '99999999999'
    for (const v of ['0x10', '1e1', '%201', '-1', '1.5', '0', huge, 'abc', '+1', String(2 ** 31)]) {
      if (name === 'cursor' && v === String(2 ** 31)) continue // a valid audit (bigint) cursor
      out.push([
        `number ${v}`,
        name === 'cursor' ? Buffer.from(decodeURIComponent(v)).toString('base64url') : v,
      ])
    }
  }
  // `a=1&a=2` arrives as "1,2": bad for numbers and enums, fine for free text.
  if (numeric || t.has('enum')) out.push(['twice', `1&${name}=2`])
  if (t.has('enum')) out.push(['not in enum', 'not-an-enum-value'])
  if (isDate(s)) for (const [label, v] of BAD_DATES) out.push([label, encodeURIComponent(v)])
  return out
}

/** Every field path of an object schema, one level into nested objects and arrays of objects. */
function fields(
  s: JsonSchema,
  prefix: Array<string | number> = [],
): Array<[Array<string | number>, JsonSchema]> {
  const out: Array<[Array<string | number>, JsonSchema]> = []
  for (const [k, sub] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) {
    out.push([[...prefix, k], sub])
    if (prefix.length > 0) continue
    if (sub.type === 'object' && sub.properties) out.push(...fields(sub, [k]))
    if (sub.type === 'array' && sub.items?.type === 'object') out.push(...fields(sub.items, [k, 0]))
  }
  return out
}

function setIn(base: unknown, path: Array<string | number>, value: unknown, schema: JsonSchema): unknown {
  const root = structuredClone(base) as Record<string | number, unknown>
  let node = root
  let sub = schema
  for (const [i, key] of path.entries()) {
    sub = typeof key === 'number' ? sub.items : sub.properties[key]
    if (i === path.length - 1) node[key] = value
    else {
      // An optional parent absent from the minimal base: a valid one with at least one item.
      node[key] ??= typeof path[i + 1] === 'number' ? [example(sub.items)] : example(sub)
      node = node[key] as Record<string | number, unknown>
    }
  }
  return root
}

/**
 * The minimal example, plus optional properties one at a time until the schema accepts it (a PATCH needs
 * one field; `POST /kb/import` needs `articles` or `markdown`).
 */
function completed(schema: z.ZodType, json: JsonSchema): unknown {
  const base = example(json) as Record<string, unknown>
  if (schema.safeParse(base).success) return base
  for (const [k, sub] of Object.entries((json.properties ?? {}) as Record<string, JsonSchema>)) {
    const more = { ...base, [k]: sub.type === 'array' ? [example(sub.items)] : example(sub, k) }
    if (schema.safeParse(more).success) return more
  }
  return base
}

const rawOf = (body: unknown) => JSON.stringify(body).replace(`"${DEEP_MARK}"`, deepRaw)

function casesFor(key: string, spec: RouteSpec): Case[] {
  const bodySchema = key === WEBHOOK ? whmcsWebhookBody : spec.body
  const params = spec.params ? toSchema(spec.params) : { properties: {} }
  const query = spec.query ? toSchema(spec.query) : { properties: {} }
  const body = bodySchema ? toSchema(bodySchema) : undefined
  const basePath = Object.fromEntries(
    Object.entries(params.properties as Record<string, JsonSchema>).map(([k, s]) => [
      k,
      String(example(s, k)),
    ]),
  )
  const baseQuery = example(query) as Record<string, unknown>
  const baseBody = body && bodySchema ? completed(bodySchema, body) : undefined
  // The mutations are only meaningful on top of a valid request.
  for (const [schema, value] of [
    [spec.params, basePath],
    [spec.query, baseQuery],
    [bodySchema, baseBody],
  ] as const) {
    if (schema)
      expect(schema.safeParse(value).success, `${key}: valid base ${JSON.stringify(value)}`).toBe(true)
  }
  const q = (o: Record<string, unknown>) =>
    Object.entries(o).map(([k, v]) => [k, encodeURIComponent(String(v))] as [string, string])
  const make = (label: string, over: Partial<Case> & { body?: unknown }): Case => ({
    label,
    path: over.path ?? basePath,
    query: over.query ?? q(baseQuery),
    raw:
      over.raw ??
      (baseBody === undefined && !('body' in over)
        ? undefined
        : rawOf('body' in over ? over.body : baseBody)),
  })
  const cases: Case[] = []
  for (const [name, s] of Object.entries(params.properties as Record<string, JsonSchema>))
    for (const [label, v] of badTextValues(s, name, 'path'))
      cases.push(make(`path ${name}: ${label}`, { path: { ...basePath, [name]: v } }))
  for (const [name, s] of Object.entries(query.properties as Record<string, JsonSchema>)) {
    for (const [label, v] of badTextValues(s, name, 'query')) {
      const rest = q(baseQuery).filter(([k]) => k !== name)
      cases.push(make(`query ${name}: ${label}`, { query: [...rest, [name, v]] }))
    }
  }
  // Routes without a query schema ignore the query string (as routes without a body schema ignore bodies).
  if (spec.query)
    cases.push(make('query: unknown parameter', { query: [...q(baseQuery), ['__fuzz__', '1']] }))
  if (body) {
    for (const [path, s] of fields(body)) {
      for (const [label, v] of badBodyValues(s))
        cases.push(make(`body ${path.join('.')}: ${label}`, { body: setIn(baseBody, path, v, body) }))
      for (const v of HOSTILE[String(path.at(-1))] ?? [])
        cases.push(make(`body ${path.join('.')}: hostile ${v}`, { body: setIn(baseBody, path, v, body) }))
    }
    const top: Array<[string, string]> = [
      ['null', 'null'],
      ['array', '[]'],
      ['string', '"fuzz"'],
      ['number', '12345'],
      ['deep nesting', deepRaw],
      ['broken JSON', '{"a":'],
      ['nul key', rawOf({ ...(baseBody as object), 'x\u0000': 1 })],
    ]
    for (const [label, raw] of top) cases.push(make(`body: ${label}`, { raw }))
    if (key !== WEBHOOK)
      cases.push(make('body: unknown field', { body: { ...(baseBody as object), __fuzz__: 1 } }))
  }
  return cases
}

// ---------------------------------------------------------------------------------------------------

let app: TestApp
let webhookSecret: string

/**
 * Row count and content hash of every application table. Excluded columns change legitimately on any
 * authenticated request (last_used_at: an API key was used; last_login_at: a login succeeded), though this
 * test uses neither; the local queue schema is infrastructure, and the outbox table covers queued work.
 */
let tables: string[] = []
async function snapshot(): Promise<Record<string, string>> {
  const sql = app.rt.deps.sql
  if (tables.length === 0) {
    const rows = await sql<{ name: string }[]>`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`
    tables = rows.map((r) => r.name)
  }
  // One round trip for all tables: the webhook route takes a snapshot per request.
  const parts = tables.map(
    (name) => sql`
      SELECT ${name}::text AS name, count(*)::int AS n, md5(coalesce(string_agg(r, '|' ORDER BY r), '')) AS h
      FROM (SELECT (to_jsonb(t) - ${['last_used_at', 'last_login_at']}::text[])::text AS r FROM ${sql(name)} t) s`,
  )
  const union = parts.reduce((acc, part) => sql`${acc} UNION ALL ${part}`)
  const rows = await sql<{ name: string; n: number; h: string }[]>`${union}`
  return Object.fromEntries(rows.map((r) => [r.name, `${r.n}:${r.h}`]))
}

beforeAll(async () => {
  app = await startTestApp({ env: { WHMCS_ALLOWED_NETWORKS: '' } })
  const token = { token: app.superToken }
  // Something for every `{id}` = 1 to find: ticket (with its draft), article, API key; tenant and user 1 exist.
  const tenant = await app.call('POST', '/tenants', { name: 'Fuzz', slug: 'fuzz' }, token)
  webhookSecret = tenant.body.webhookSecret
  await app.call(
    'POST',
    '/tickets',
    { subject: 'Fuzz ticket', content: 'How do I reset my password?' },
    token,
  )
  await app.call('POST', '/kb/articles', { title: 'Reset', content: 'Open the client area.' }, token)
  await app.call('POST', '/api-keys', { name: 'fuzz key' }, token)
  await app.rt.queues.idle()
})
afterAll(async () => app?.stop())

async function send(key: string, c: Case) {
  const [method, template] = key.split(' ') as [string, string]
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => c.path[name]!)
  const search = c.query.map(([k, v]) => `${k}=${v}`).join('&')
  const headers: Record<string, string> = { authorization: `Bearer ${app.superToken}` }
  if (c.raw !== undefined) headers['content-type'] = 'application/json'
  if (key === WEBHOOK) {
    const timestamp = Math.floor(Date.now() / 1000)
    headers['x-draftdesk-event-id'] = randomUUID()
    headers['x-draftdesk-timestamp'] = String(timestamp)
    headers['x-draftdesk-signature'] = signWebhook(webhookSecret, timestamp, c.raw ?? '')
  }
  const res = await fetch(`${app.url}${path}${search ? `?${search}` : ''}`, { method, headers, body: c.raw })
  return { status: res.status, text: (await res.text()).slice(0, 300) }
}

describe('Function: fuzz of every route', () => {
  it('derives cases for every route of the table', () => {
    for (const route of routes) expect(contract, routeKey(route)).toHaveProperty([routeKey(route)])
  })

  for (const route of routes) {
    const key = routeKey(route)
    // A guard against a hang, not a timing assertion: a loaded 2-core machine can be slow.
    it(`${key}: answers 4xx to bad input and changes nothing`, { timeout: 180_000 }, async () => {
      // Prepare
      const spec = (contract as Record<string, RouteSpec>)[key]!
      const cases = casesFor(key, spec)
      if (cases.length === 0) cases.push({ label: 'junk query', path: {}, query: [['x', '%00']] })
      const failures: string[] = []
      await app.rt.queues.idle()
      let before = await snapshot()
      // Act
      for (const c of cases) {
        const res = await send(key, c)
        const acceptable = res.status >= 400 && res.status < 500
        // The webhook stores WHMCS text cleaned (200); routes without inputs ignore junk (200).
        const allowedOk = (key === WEBHOOK || !(spec.params || spec.query || spec.body)) && res.status < 300
        if (!acceptable && !allowedOk) failures.push(`${c.label} → ${res.status} ${res.text}`)
        if (key === WEBHOOK) {
          // A 200 queued a draft: let the worker finish it, so its writes are not taken for the next case's.
          await app.rt.queues.idle()
          const after = await snapshot()
          if (acceptable && JSON.stringify(after) !== JSON.stringify(before))
            failures.push(`${c.label} → ${res.status} changed the database`)
          before = after
        }
      }
      // Assess
      expect(failures).toEqual([])
      if (key !== WEBHOOK) expect(await snapshot()).toEqual(before)
    })
  }
})

// Keeps the hash helper honest: it must see a change.
describe('Function: fuzz database snapshot', () => {
  it('detects a changed row', async () => {
    const before = await snapshot()
    await app.rt.deps.sql`UPDATE tenants SET name = 'Fuzz, changed' WHERE slug = 'fuzz'`
    expect(await snapshot()).not.toEqual(before)
  })
})
