import type { BodyOf, ParamsOf, QueryOf, ReplyOf, RouteKey } from './contract.ts'
import { expire, getSession } from './session.ts'

/** One problem with a field of the request, as the API's 400s list them. */
export interface FieldIssue {
  in?: string
  path?: string
  message: string
}

/** An API error in words: `{ error: { code, message, details? } }`, or a network failure (status 0). */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldIssue[] = [],
  ) {
    super(message)
  }

  /** The message for one body field (`title`, `weights.tenant_kb`), to show beside that field. */
  fieldMessage(path: string): string | undefined {
    return this.details.find((d) => d.path === path || d.path?.startsWith(`${path}.`))?.message
  }
}

/** Why a request failed, in words a desk lead understands, whatever was thrown. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return 'Draftdesk could not be reached. Check the connection and try again.'
    if (error.status === 403 && error.code === 'forbidden') return 'Your role does not allow this.'
    if (error.status === 429) return `Too many attempts. ${error.message}`
    return error.message
  }
  return error instanceof Error ? error.message : String(error)
}

interface Input<K extends RouteKey> {
  params?: ParamsOf<K>
  query?: QueryOf<K>
  body?: BodyOf<K>
  signal?: AbortSignal
}

/** `/tickets/{id}` with `{ id: 4 }` → `/tickets/4`. */
function pathOf(template: string, params: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params[name])))
}

function queryString(query: Record<string, unknown> = {}): string {
  const search = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') search.set(k, String(v))
  const text = search.toString()
  return text ? `?${text}` : ''
}

/**
 * Calls one route of the public API, by its contract key (`'GET /tickets/{id}'`), as the signed-in user
 * (their JWT; the console never holds an API key). A 401 on an authenticated call ends the session, which
 * sends the page to sign-in.
 */
export async function call<K extends RouteKey>(key: K, input: Input<K> = {}): Promise<ReplyOf<K>> {
  const [method, template] = key.split(' ') as [string, string]
  const url =
    pathOf(template, input.params as Record<string, unknown>) +
    queryString(input.query as Record<string, unknown>)
  const session = getSession()
  const headers: Record<string, string> = {}
  if (session) headers.authorization = `Bearer ${session.token}`
  if (input.body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(url, {
      method,
      headers,
      body: input.body === undefined ? undefined : JSON.stringify(input.body),
      signal: input.signal,
    })
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    throw new ApiError(0, 'network', 'network error')
  }
  const text = await res.text()
  const json = text ? safeJson(text) : null
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; details?: FieldIssue[] } })?.error
    if (res.status === 401 && session) expire()
    throw new ApiError(
      res.status,
      e?.code ?? 'http_error',
      e?.message ?? `HTTP ${res.status}`,
      Array.isArray(e?.details) ? e.details : [],
    )
  }
  return json as ReplyOf<K>
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
