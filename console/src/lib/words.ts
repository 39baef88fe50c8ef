/** Names in words for what the API sends as codes. */

export const SOURCE_KIND: Record<string, string> = {
  global_kb: 'Shared knowledge base',
  tenant_kb: 'Your knowledge base',
  approved_example: 'Earlier reply by your team',
  correction: 'Correction by your team',
}

export const COMPONENT: Record<string, string> = {
  retrieval: 'How well the sources match',
  agreement: 'Sources agree',
  coverage: 'Question covered by the sources',
  groundedness: 'Reply grounded in the sources',
  no_citations: 'No citations',
  escalation_keyword: 'Escalation keyword',
  reply_length: 'Reply length',
  clamp: 'Kept within 0–100',
}

export const REASON: Record<string, string> = {
  keyword: 'Sensitive topic',
  low_retrieval: 'The knowledge base may not answer this',
  no_answer: 'The sources do not answer the question',
  language_mismatch: 'Sources are in another language than the customer',
  urgent_priority: 'Urgent ticket',
}

/** The same reasons, short enough for a chart's labels. */
export const REASON_SHORT: Record<string, string> = {
  keyword: 'Keyword',
  low_retrieval: 'Low retrieval',
  no_answer: 'No answer',
  language_mismatch: 'Language',
  urgent_priority: 'Urgent',
}

export const CHANNEL: Record<string, string> = { web: 'Console / API', api: 'API key', whmcs: 'WHMCS' }

/** A confidence score in words, as a lead would read it. */
export function confidenceWords(score: number): string {
  if (score >= 70) return 'high: usually right'
  if (score >= 40) return 'medium: check the sources'
  return 'low: read carefully'
}
