/**
 * The API's types, taken from its zod contract (shared/api): what each route accepts and answers. Only
 * types cross over (`import type`), so no server code reaches the bundle, and a change to a schema that
 * the console does not follow fails `npm run typecheck`.
 */
import type { z } from 'zod'
import type { contract } from '../../../shared/api/contract.ts'

export type RouteKey = keyof typeof contract
type Spec<K extends RouteKey> = (typeof contract)[K]

/** What JSON makes of a value: dates travel as ISO strings. */
type Json<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [P in keyof T]: Json<T[P]> }
      : T

type Part<K extends RouteKey, P extends string> =
  Spec<K> extends { [Q in P]: z.ZodType } ? z.input<Spec<K>[P]> : undefined

export type ParamsOf<K extends RouteKey> = Part<K, 'params'>
export type QueryOf<K extends RouteKey> = Part<K, 'query'>
export type BodyOf<K extends RouteKey> = Part<K, 'body'>

/** The success body of a route, as its `response` schema says (`unknown` where it has none yet). */
export type ReplyOf<K extends RouteKey> =
  Spec<K> extends { response: z.ZodType } ? Json<z.output<Spec<K>['response']>> : unknown

/** The staff view of a response that is a union of staff and customer views (the console is staff-only). */
export type Staff<T> = Extract<T, { draftState: unknown } | { items: { draftState: unknown }[] }>
