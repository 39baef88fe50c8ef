import { type ReactNode, useId } from 'react'
import { errorText } from '../lib/api.ts'

interface FieldProps {
  label: string
  /** The API's message for this field, shown under it and announced. */
  error?: string
  hint?: string
  children: (props: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ReactNode
}

/** A labelled form control with its hint and its error in words beside it. */
export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId()
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ')
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        'aria-invalid': Boolean(error),
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  )
}

/** An error from the API in words, next to what caused it. */
export function ErrorNote({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null
  return (
    <p className="error" role="alert">
      {prefix ? `${prefix}: ` : ''}
      {errorText(error)}
    </p>
  )
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" role="status">
      {what}…
    </p>
  )
}

/** A page's title and the actions beside it. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children && <div className="page-actions">{children}</div>}
    </div>
  )
}

/** A short status message announced to screen readers (saved, queued, …). */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <p className="notice" role="status">
      {children}
    </p>
  )
}

/** A table's header row: one column header per name (an empty name for a column of buttons). */
export function ColumnHeads({ names }: { names: readonly string[] }) {
  return (
    <thead>
      <tr>
        {names.map((name, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the columns are fixed, and an empty name may repeat
          <th scope="col" key={i}>
            {name}
          </th>
        ))}
      </tr>
    </thead>
  )
}
