import { type FormEvent, useState } from 'react'
import { ErrorNote, Field, Loading, Notice } from '../../../components/ui.tsx'
import { ApiError } from '../../../lib/api.ts'
import { type AccountFactsSettings, useAccountFacts, useSaveAccountFacts } from '../api/settings.ts'

const KINDS = [
  ['client', 'The account’s status and language'],
  ['services', 'Products and services'],
  ['domains', 'Domain registrations'],
  ['invoices', 'Unpaid, overdue and collections invoices'],
] as const

/** Which facts of the customer's WHMCS account drafts may use, how long a read is reused, how long to wait. */
export function AccountFactsSection() {
  const settings = useAccountFacts()
  if (settings.isPending) return <Loading />
  if (!settings.data) return <ErrorNote error={settings.error} prefix="The settings could not be read" />
  return <AccountFactsForm current={settings.data} />
}

function AccountFactsForm({ current }: { current: AccountFactsSettings }) {
  const save = useSaveAccountFacts()
  const [form, setForm] = useState(current)
  const fieldError = (p: string) => (save.error instanceof ApiError ? save.error.fieldMessage(p) : undefined)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    save.mutate(form)
  }
  return (
    <form onSubmit={submit} aria-label="Account facts">
      <p className="muted">
        Drafts read the customer’s own services, domains and invoices from WHMCS and may cite them. Fraud and
        Collections flags are shown to agents only, never to the model.
      </p>
      <label>
        <input
          type="checkbox"
          checked={form.enabled}
          onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
        />{' '}
        Use account facts in drafts
      </label>
      <fieldset disabled={!form.enabled}>
        <legend>What drafts may read</legend>
        {KINDS.map(([kind, label]) => (
          <label key={kind} className="block">
            <input
              type="checkbox"
              checked={form.kinds[kind]}
              onChange={(e) => setForm({ ...form, kinds: { ...form.kinds, [kind]: e.target.checked } })}
            />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      <div className="grid-2">
        <Field
          label="Reuse an account read for (seconds)"
          hint="0 reads WHMCS for every draft"
          error={fieldError('cacheSeconds')}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              value={form.cacheSeconds}
              onChange={(e) => setForm({ ...form, cacheSeconds: Number(e.target.value) })}
            />
          )}
        </Field>
        <Field
          label="Wait for WHMCS at most (ms)"
          hint="retries included; then the draft goes on without"
          error={fieldError('budgetMs')}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={100}
              value={form.budgetMs}
              onChange={(e) => setForm({ ...form, budgetMs: Number(e.target.value) })}
            />
          )}
        </Field>
      </div>
      <ErrorNote error={save.error} prefix="Not saved" />
      {save.isSuccess && <Notice>Account facts saved; the next draft uses them.</Notice>}
      <button type="submit" className="primary" disabled={save.isPending}>
        Save
      </button>
    </form>
  )
}
