import { useState } from 'react'
import { ColumnHeads, ErrorNote, Field, Loading } from '../../../components/ui.tsx'
import { formatDateTime } from '../../../lib/format.ts'
import { useAudit } from '../api/settings.ts'

/** Who did what, newest first (the latest 100), filterable by action. */
export function AuditSection() {
  const [action, setAction] = useState('')
  const audit = useAudit(/^[a-z_]+$/.test(action) ? action : '')
  return (
    <>
      <div className="filters">
        <Field label="Action" hint="e.g. reply_approved, login, settings_changed">
          {(p) => <input {...p} value={action} onChange={(e) => setAction(e.target.value.trim())} />}
        </Field>
      </div>
      <ErrorNote error={audit.error} prefix="The audit log could not be read" />
      {audit.isPending && <Loading />}
      <table aria-label="Audit log">
        <ColumnHeads names={['When', 'Who', 'Action', 'What']} />
        <tbody>
          {audit.data?.items.map((a) => (
            <tr key={a.id}>
              <td>{formatDateTime(a.createdAt)}</td>
              <td>{a.userEmail ?? 'Draftdesk'}</td>
              <td>{a.action}</td>
              <td>
                {a.entityType}
                {a.entityId !== null ? ` #${a.entityId}` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
