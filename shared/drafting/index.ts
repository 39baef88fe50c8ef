/**
 * Pure domain logic of drafting and review: no database, no HTTP, no model calls except the optional
 * cross-encoder client. Workers and handlers compose these.
 */
export * from './citations.ts'
export * from './confidence.ts'
export * from './escalation.ts'
export * from './pii.ts'
export * from './prompt.ts'
export * from './rerank.ts'
export * from './review.ts'
export * from './status.ts'
