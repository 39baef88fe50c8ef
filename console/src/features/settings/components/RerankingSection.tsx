import { type FormEvent, useState } from 'react'
import { ErrorNote, Field, Loading, Notice } from '../../../components/ui.tsx'
import { ApiError } from '../../../lib/api.ts'
import { type Reranking, useReranking, useSaveReranking } from '../api/settings.ts'

const WEIGHTS = [
  ['global_kb', 'Global articles'],
  ['tenant_kb', 'Your articles'],
  ['approved_example', 'Approved replies'],
  ['correction', 'Corrections'],
] as const

/** How retrieval weighs each kind of source, and how many passages it keeps. */
export function RerankingSection() {
  const config = useReranking()
  if (config.isPending) return <Loading />
  if (!config.data) return <ErrorNote error={config.error} prefix="The weights could not be read" />
  const { scope, ...current } = config.data
  return <RerankingForm current={current} inherited={scope === 'global'} />
}

function RerankingForm({ current, inherited }: { current: Reranking; inherited: boolean }) {
  const save = useSaveReranking()
  const [form, setForm] = useState(current)
  const fieldError = (p: string) => (save.error instanceof ApiError ? save.error.fieldMessage(p) : undefined)
  const numberInput =
    (value: number, set: (v: number) => void, step = 0.05) =>
    (p: object) => (
      <input {...p} type="number" step={step} value={value} onChange={(e) => set(Number(e.target.value))} />
    )
  const submit = (e: FormEvent) => {
    e.preventDefault()
    save.mutate(form)
  }
  return (
    <form onSubmit={submit} aria-label="Reranking">
      {inherited && <p className="muted">These are the defaults; saving makes them this desk's own.</p>}
      <div className="grid-2">
        {WEIGHTS.map(([key, label]) => (
          <Field key={key} label={`Weight: ${label}`} error={fieldError(`weights.${key}`)}>
            {numberInput(form.weights[key], (v) =>
              setForm({ ...form, weights: { ...form.weights, [key]: v } }),
            )}
          </Field>
        ))}
        <Field label="Passages searched" error={fieldError('topKInitial')}>
          {numberInput(form.topKInitial, (v) => setForm({ ...form, topKInitial: v }), 1)}
        </Field>
        <Field label="Passages kept" error={fieldError('topKRerank')}>
          {numberInput(form.topKRerank, (v) => setForm({ ...form, topKRerank: v }), 1)}
        </Field>
        <Field label="Score threshold" error={fieldError('scoreThreshold')}>
          {numberInput(form.scoreThreshold, (v) => setForm({ ...form, scoreThreshold: v }))}
        </Field>
      </div>
      <label>
        <input
          type="checkbox"
          checked={form.isEnabled}
          onChange={(e) => setForm({ ...form, isEnabled: e.target.checked })}
        />{' '}
        Rerank with the model
      </label>
      {/* The sum is a rule of the four weights together: its message stands where the rule is stated. */}
      {fieldError('weights') ? (
        <p className="error" role="alert">
          {fieldError('weights')}
        </p>
      ) : (
        <p className="hint">The four weights add up to 1.</p>
      )}
      <ErrorNote error={save.error} prefix="Not saved" />
      {save.isSuccess && <Notice>Weights saved.</Notice>}
      <button type="submit" className="primary" disabled={save.isPending}>
        Save
      </button>
    </form>
  )
}
