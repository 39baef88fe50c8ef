import { type FormEvent, useState } from 'react'
import { ErrorNote, Field, Loading, Notice } from '../../../components/ui.tsx'
import { type Tenant, useOwnTenant, useUpdateTenant } from '../api/settings.ts'
import { OperatorOnly } from './OperatorOnly.tsx'
import { useIsOperator } from './useIsOperator.ts'

interface Rules {
  extraKeywords?: Record<string, string[]>
  disabledCategories?: string[]
  threshold?: number
}

/** The tenant's escalation rules (`settings.escalation`): extra keywords, silenced categories, threshold. */
export function EscalationSection() {
  const tenant = useOwnTenant(useIsOperator())
  return (
    <OperatorOnly>
      <ErrorNote error={tenant.error} prefix="The rules could not be read" />
      {tenant.isPending ? <Loading /> : tenant.data && <RulesForm tenant={tenant.data} />}
    </OperatorOnly>
  )
}

const keywordLines = (k: Record<string, string[]> = {}) =>
  Object.entries(k)
    .map(([category, words]) => `${category}: ${words.join(', ')}`)
    .join('\n')

/** `refund: chargeback, money back` per line → `{ refund: ['chargeback', 'money back'] }`. */
function parseKeywords(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const line of text.split('\n')) {
    const [category, words = ''] = line.split(':', 2)
    if (!category?.trim()) continue
    out[category.trim()] = words
      .split(',')
      .map((w) => w.trim())
      .filter(Boolean)
  }
  return out
}

function RulesForm({ tenant }: { tenant: Tenant }) {
  const save = useUpdateTenant()
  const rules = (tenant.settings.escalation ?? {}) as Rules
  const [keywords, setKeywords] = useState(keywordLines(rules.extraKeywords))
  const [disabled, setDisabled] = useState((rules.disabledCategories ?? []).join(', '))
  const [threshold, setThreshold] = useState(rules.threshold === undefined ? '' : String(rules.threshold))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const escalation: Rules = {
      extraKeywords: parseKeywords(keywords),
      disabledCategories: disabled
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
      ...(threshold.trim() ? { threshold: Number(threshold) } : {}),
    }
    // The other settings go back as they were: the API replaces the whole document.
    save.mutate({ settings: { ...tenant.settings, escalation } })
  }
  return (
    <form onSubmit={submit} aria-label="Escalation rules">
      <Field label="Extra keywords" hint="One category per line: refund: chargeback, money back">
        {(p) => <textarea {...p} rows={6} value={keywords} onChange={(e) => setKeywords(e.target.value)} />}
      </Field>
      <Field label="Categories that never escalate" hint="Comma-separated, e.g. legal, abuse">
        {(p) => <input {...p} value={disabled} onChange={(e) => setDisabled(e.target.value)} />}
      </Field>
      <Field label="Low-retrieval threshold" hint="0 to 1; empty keeps the calibrated default">
        {(p) => (
          <input
            {...p}
            type="number"
            min={0}
            max={1}
            step={0.01}
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
          />
        )}
      </Field>
      <ErrorNote error={save.error} prefix="Not saved" />
      {save.isSuccess && <Notice>Escalation rules saved: new drafts use them.</Notice>}
      <button type="submit" className="primary" disabled={save.isPending}>
        Save
      </button>
    </form>
  )
}
