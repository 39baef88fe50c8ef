import { type FormEvent, useState } from 'react'
import { ColumnHeads, ErrorNote, Field, Notice } from '../../../components/ui.tsx'
import { formatDateTime } from '../../../lib/format.ts'
import { type ApiKey, useApiKeys, useCreateApiKey, useRevokeApiKey } from '../api/settings.ts'
import { ROLE_NAMES } from './roles.ts'

/** Machine API keys (the WHMCS panel's, scripts'): create (the key is shown once), list, revoke. */
export function ApiKeysSection() {
  const keys = useApiKeys()
  const create = useCreateApiKey()
  const revoke = useRevokeApiKey()
  const [name, setName] = useState('')
  const [role, setRole] = useState<ApiKey['role']>('support_agent')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    create.mutate({ name: name.trim(), role: role as 'support_agent' }, { onSuccess: () => setName('') })
  }
  return (
    <>
      <form onSubmit={submit} aria-label="New API key" className="filters">
        <Field label="Key name">
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
        </Field>
        <Field label="Key role">
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value as ApiKey['role'])}>
              {(['support_agent', 'admin'] as const).map((r) => (
                <option key={r} value={r}>
                  {ROLE_NAMES[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create key
        </button>
      </form>
      <ErrorNote error={create.error} prefix="Not created" />
      {create.data && (
        <Notice>
          Key for {create.data.name} (shown once, copy it now): <code>{create.data.key}</code>
        </Notice>
      )}
      <ErrorNote error={keys.error ?? revoke.error} />
      <table aria-label="API keys">
        <ColumnHeads names={['Name', 'Starts with', 'Role', 'Last used', '']} />
        <tbody>
          {keys.data?.items.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}</code>
              </td>
              <td>{ROLE_NAMES[k.role]}</td>
              <td>{k.revokedAt ? `revoked ${formatDateTime(k.revokedAt)}` : formatDateTime(k.lastUsedAt)}</td>
              <td>
                {!k.revokedAt && (
                  <button type="button" className="danger" onClick={() => revoke.mutate(k.id)}>
                    Revoke {k.name}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
