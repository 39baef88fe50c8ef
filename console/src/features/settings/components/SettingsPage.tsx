import { Navigate, NavLink, Route, Routes } from 'react-router'
import { AccountFactsSection } from './AccountFactsSection.tsx'
import { ApiKeysSection } from './ApiKeysSection.tsx'
import { AuditSection } from './AuditSection.tsx'
import { EscalationSection } from './EscalationSection.tsx'
import { HookSection } from './HookSection.tsx'
import { PromptsSection } from './PromptsSection.tsx'
import { RerankingSection } from './RerankingSection.tsx'
import { UsersSection } from './UsersSection.tsx'
import { WhmcsSection } from './WhmcsSection.tsx'

const SECTIONS = [
  { path: 'whmcs', title: 'WHMCS connection', page: WhmcsSection },
  { path: 'hook', title: 'Webhook and PHP hook', page: HookSection },
  { path: 'api-keys', title: 'API keys', page: ApiKeysSection },
  { path: 'users', title: 'Users and roles', page: UsersSection },
  { path: 'escalation', title: 'Escalation rules', page: EscalationSection },
  { path: 'account-facts', title: 'Account facts', page: AccountFactsSection },
  { path: 'prompts', title: 'Prompt versions', page: PromptsSection },
  { path: 'reranking', title: 'Reranking weights', page: RerankingSection },
  { path: 'audit', title: 'Audit log', page: AuditSection },
] as const

/** Settings (admins): one section per concern, each its own address under /settings/. */
export function SettingsPage() {
  return (
    <section>
      <h1>Settings</h1>
      <div className="settings-layout">
        <nav aria-label="Settings">
          {SECTIONS.map((s) => (
            <NavLink key={s.path} to={`/settings/${s.path}`}>
              {s.title}
            </NavLink>
          ))}
        </nav>
        <div>
          <Routes>
            <Route index element={<Navigate to="whmcs" replace />} />
            {SECTIONS.map(({ path, title, page: Page }) => (
              <Route
                key={path}
                path={path}
                element={
                  <section aria-label={title}>
                    <h2>{title}</h2>
                    <Page />
                  </section>
                }
              />
            ))}
          </Routes>
        </div>
      </div>
    </section>
  )
}
