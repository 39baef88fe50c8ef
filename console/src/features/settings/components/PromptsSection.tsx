import { type FormEvent, useState } from 'react'
import { ColumnHeads, ErrorNote, Field, Notice } from '../../../components/ui.tsx'
import { ApiError } from '../../../lib/api.ts'
import { lastDays, useSummary } from '../../analytics/api/summary.ts'
import { Versions } from '../../analytics/components/Versions.tsx'
import { type PromptVersion, useActivatePrompt, useCreatePrompt, usePrompts } from '../api/settings.ts'

/** Prompt versions: which one drafts use, their figures side by side (last 30 days), a new one, activate. */
export function PromptsSection() {
  const prompts = usePrompts()
  const activate = useActivatePrompt()
  const [range] = useState(() => lastDays(30))
  const summary = useSummary(range)
  const inUse = prompts.data?.items.find((p) => p.inUse)
  return (
    <>
      <ErrorNote error={prompts.error ?? activate.error} />
      <table aria-label="Your prompt versions">
        <ColumnHeads names={['Version', 'Name', 'Model', 'State']} />
        <tbody>
          {prompts.data?.items.map((p) => (
            <tr key={p.id}>
              <td>{p.version}</td>
              <td>{p.name}</td>
              <td>{p.model}</td>
              <td>
                {p.inUse ? (
                  <b>In use</b>
                ) : (
                  p.scope === 'tenant' && (
                    <button type="button" onClick={() => activate.mutate(p.id)}>
                      Activate {p.version}
                    </button>
                  )
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {summary.data && <Versions s={summary.data} />}
      <h3>New version</h3>
      {prompts.data && <NewPrompt base={inUse ?? prompts.data.items[0]} key={inUse?.id} />}
    </>
  )
}

const TEXTS = [
  ['systemPrompt', 'System prompt'],
  ['contextTemplate', 'Context template'],
  ['taskTemplate', 'Task template'],
] as const

/** A new version starts as a copy of the one in use: change what you test, keep the rest. */
function NewPrompt({ base }: { base: PromptVersion | undefined }) {
  const create = useCreatePrompt()
  const [form, setForm] = useState({
    version: '',
    name: '',
    systemPrompt: base?.systemPrompt ?? '',
    contextTemplate: base?.contextTemplate ?? '',
    taskTemplate: base?.taskTemplate ?? '',
  })
  const fieldError = (p: string) =>
    create.error instanceof ApiError ? create.error.fieldMessage(p) : undefined
  const submit = (e: FormEvent) => {
    e.preventDefault()
    create.mutate(form)
  }
  return (
    <form onSubmit={submit} aria-label="New prompt version">
      <div className="grid-2">
        <Field label="Version" hint="e.g. v2" error={fieldError('version')}>
          {(p) => (
            <input
              {...p}
              value={form.version}
              onChange={(e) => setForm({ ...form, version: e.target.value })}
              required
            />
          )}
        </Field>
        <Field label="Name" error={fieldError('name')}>
          {(p) => (
            <input
              {...p}
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
              required
            />
          )}
        </Field>
      </div>
      {TEXTS.map(([key, label]) => (
        <Field key={key} label={label} error={fieldError(key)}>
          {(p) => (
            <textarea
              {...p}
              rows={5}
              value={form[key]}
              onChange={(e) => setForm({ ...form, [key]: e.target.value })}
            />
          )}
        </Field>
      ))}
      <ErrorNote error={create.error} prefix="Not created" />
      {create.isSuccess && (
        <Notice>Created {create.data.version}: activate it above to draft with it.</Notice>
      )}
      <button type="submit" className="primary" disabled={create.isPending}>
        Create version
      </button>
    </form>
  )
}
