import { type FormEvent, useState } from 'react'
import { ColumnHeads, ErrorNote, Field, Loading, Notice } from '../../../components/ui.tsx'
import { ApiError } from '../../../lib/api.ts'
import { formatDateTime } from '../../../lib/format.ts'
import {
  type Tenant,
  type TenantPatch,
  useOwnTenant,
  useSyncLogs,
  useSyncNow,
  useUpdateTenant,
} from '../api/settings.ts'
import { OperatorOnly } from './OperatorOnly.tsx'
import { useIsOperator } from './useIsOperator.ts'

/** The WHMCS connection (operator), *Sync now* (which tests it) and the sync log. */
export function WhmcsSection() {
  const operator = useIsOperator()
  const tenant = useOwnTenant(operator)
  return (
    <>
      <OperatorOnly>
        {tenant.isPending ? <Loading /> : <ConnectionForm tenant={tenant.data ?? null} />}
        <ErrorNote error={tenant.error} prefix="The connection could not be read" />
      </OperatorOnly>
      <SyncLogs />
    </>
  )
}

const FIELDS = [
  ['whmcsIdentifier', 'API identifier'],
  ['whmcsSecret', 'API secret'],
  ['whmcsAccessKey', 'API access key (optional)'],
] as const

function ConnectionForm({ tenant }: { tenant: Tenant | null }) {
  const save = useUpdateTenant()
  const [url, setUrl] = useState(tenant?.whmcsUrl ?? '')
  const [admin, setAdmin] = useState(tenant?.whmcsAdminUsername ?? '')
  // Credentials are write-only: never shown, sent only when typed.
  const [secrets, setSecrets] = useState<Record<string, string>>({})
  const fieldError = (p: string) => (save.error instanceof ApiError ? save.error.fieldMessage(p) : undefined)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const typed = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v.trim()))
    const body: TenantPatch = {
      whmcsUrl: url.trim() || null,
      whmcsAdminUsername: admin.trim() || null,
      ...typed,
    }
    save.mutate(body, { onSuccess: () => setSecrets({}) })
  }
  const configured = save.data?.whmcsConfigured ?? tenant?.whmcsConfigured
  return (
    <form onSubmit={submit} aria-label="WHMCS connection">
      <p className="muted">
        {configured ? 'Credentials are saved (never shown).' : 'No credentials saved yet.'}
      </p>
      <Field label="WHMCS URL" hint="e.g. https://billing.example.com" error={fieldError('whmcsUrl')}>
        {(p) => <input {...p} type="url" value={url} onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      {FIELDS.map(([key, label]) => (
        <Field key={key} label={label} hint="Leave empty to keep the saved value" error={fieldError(key)}>
          {(p) => (
            <input
              {...p}
              type="password"
              autoComplete="off"
              value={secrets[key] ?? ''}
              onChange={(e) => setSecrets({ ...secrets, [key]: e.target.value })}
            />
          )}
        </Field>
      ))}
      <Field
        label="WHMCS admin username"
        hint="Approved replies are posted as this admin"
        error={fieldError('whmcsAdminUsername')}
      >
        {(p) => <input {...p} value={admin} onChange={(e) => setAdmin(e.target.value)} />}
      </Field>
      <ErrorNote error={save.error} prefix="Not saved" />
      {save.isSuccess && <Notice>Connection saved.</Notice>}
      <button type="submit" className="primary" disabled={save.isPending}>
        Save
      </button>
    </form>
  )
}

/** *Sync now*: pulls WHMCS tickets; its log line is the connection test (WHMCS's own error when it fails). */
function SyncLogs() {
  const logs = useSyncLogs()
  const sync = useSyncNow()
  return (
    <>
      <h3>Test connection and sync</h3>
      <div className="actions">
        <button type="button" onClick={() => sync.mutate()} disabled={sync.isPending}>
          Sync now
        </button>
      </div>
      {sync.isSuccess && <Notice>Sync queued: its result appears in the log below.</Notice>}
      <ErrorNote error={sync.error} prefix="Not started" />
      <ErrorNote error={logs.error} prefix="The sync log could not be read" />
      <table aria-label="Sync log">
        <ColumnHeads names={['Started', 'Status', 'Records', 'WHMCS said']} />
        <tbody>
          {logs.data?.items.map((l) => (
            <tr key={l.id}>
              <td>{formatDateTime(l.startedAt)}</td>
              <td>{l.status}</td>
              <td>{l.recordsProcessed}</td>
              <td>{l.errorMessage ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {logs.data?.items.length === 0 && <p className="muted">No sync has run yet.</p>}
    </>
  )
}
