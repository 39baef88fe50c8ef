import { type FormEvent, useState } from 'react'
import { ColumnHeads, ErrorNote, Field, Notice } from '../../../components/ui.tsx'
import { ApiError } from '../../../lib/api.ts'
import { formatDateTime } from '../../../lib/format.ts'
import { type User, useCreateUser, useUpdateUser, useUsers } from '../api/settings.ts'
import { ROLE_NAMES } from './roles.ts'

type Role = Exclude<User['role'], 'superadmin'>
const ROLES: Role[] = ['support_agent', 'admin', 'user']

/** The desk's people: add one, change a role, deactivate or reactivate. */
export function UsersSection() {
  const users = useUsers()
  const update = useUpdateUser()
  return (
    <>
      <NewUser />
      <ErrorNote error={users.error ?? update.error} prefix={update.error ? 'Not changed' : undefined} />
      <table aria-label="Users">
        <ColumnHeads names={['Email', 'Name', 'Role', 'Last sign-in', 'Active']} />
        <tbody>
          {users.data?.items.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{u.fullName ?? '—'}</td>
              <td>
                {u.role === 'superadmin' ? (
                  ROLE_NAMES[u.role]
                ) : (
                  <select
                    aria-label={`Role of ${u.email}`}
                    value={u.role}
                    onChange={(e) => update.mutate({ id: u.id, role: e.target.value as Role })}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {ROLE_NAMES[r]}
                      </option>
                    ))}
                  </select>
                )}
              </td>
              <td>{formatDateTime(u.lastLoginAt)}</td>
              <td>
                <label>
                  <input
                    type="checkbox"
                    checked={u.isActive}
                    onChange={(e) => update.mutate({ id: u.id, isActive: e.target.checked })}
                  />{' '}
                  <span className="visually-hidden">{u.email} </span>active
                </label>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

function NewUser() {
  const create = useCreateUser()
  const empty = { email: '', fullName: '', password: '', role: 'support_agent' as Role }
  const [form, setForm] = useState(empty)
  const fieldError = (p: string) =>
    create.error instanceof ApiError ? create.error.fieldMessage(p) : undefined
  const submit = (e: FormEvent) => {
    e.preventDefault()
    const { fullName, ...rest } = form
    create.mutate({ ...rest, ...(fullName.trim() ? { fullName } : {}) }, { onSuccess: () => setForm(empty) })
  }
  const input = (key: 'email' | 'fullName' | 'password', label: string, type = 'text') => (
    <Field label={label} error={fieldError(key)}>
      {(p) => (
        <input
          {...p}
          type={type}
          value={form[key]}
          onChange={(e) => setForm({ ...form, [key]: e.target.value })}
          required={key !== 'fullName'}
        />
      )}
    </Field>
  )
  return (
    <form onSubmit={submit} aria-label="New user">
      <div className="grid-2">
        {input('email', 'Email', 'email')}
        {input('fullName', 'Full name')}
        {input('password', 'Password', 'password')}
        <Field label="Role">
          {(p) => (
            <select
              {...p}
              value={form.role}
              onChange={(e) => setForm({ ...form, role: e.target.value as Role })}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_NAMES[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorNote error={create.error} prefix="Not added" />
      {create.isSuccess && <Notice>Added {create.data.email}.</Notice>}
      <button type="submit" className="primary" disabled={create.isPending}>
        Add user
      </button>
    </form>
  )
}
