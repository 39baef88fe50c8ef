import { QueryClientProvider } from '@tanstack/react-query'
import { type ComponentType, lazy, Suspense } from 'react'
import { BrowserRouter, Route, Routes } from 'react-router'
import { Loading } from '../components/ui.tsx'
import { SignInPage } from '../features/auth/components/SignInPage.tsx'
import { ImportPage } from '../features/knowledge/components/ImportPage.tsx'
import { KbListPage } from '../features/knowledge/components/KbListPage.tsx'
import { TryPage } from '../features/knowledge/components/TryPage.tsx'
import { QueuePage } from '../features/review/components/QueuePage.tsx'
import { TicketPage } from '../features/review/components/TicketPage.tsx'
import { queryClient } from '../lib/query.ts'
import type { StaffRole } from '../lib/session.ts'
import { ComingSoon } from './ComingSoon.tsx'
import { RequireAuth } from './RequireAuth.tsx'
import { Shell } from './Shell.tsx'

// Pages with large libraries (Markdown, charts) load when first opened, so the queue is usable sooner.
const ArticleEditor = lazy(() =>
  import('../features/knowledge/components/ArticleEditor.tsx').then((m) => ({ default: m.ArticleEditor })),
)
const AnalyticsPage = lazy(() =>
  import('../features/analytics/components/AnalyticsPage.tsx').then((m) => ({ default: m.AnalyticsPage })),
)
const CalibrationPage = lazy(() =>
  import('../features/calibration/components/CalibrationPage.tsx').then((m) => ({
    default: m.CalibrationPage,
  })),
)
const GapsPage = lazy(() =>
  import('../features/calibration/components/GapsPage.tsx').then((m) => ({ default: m.GapsPage })),
)
const SettingsPage = lazy(() =>
  import('../features/settings/components/SettingsPage.tsx').then((m) => ({ default: m.SettingsPage })),
)

/** Every signed-in page, with the least role that may open it (the API enforces the same). */
const PAGES: { path: string; page: ComponentType; minRole?: StaffRole }[] = [
  { path: '/', page: QueuePage },
  { path: '/tickets/:id', page: TicketPage },
  { path: '/kb', page: KbListPage },
  { path: '/kb/new', page: ArticleEditor },
  { path: '/kb/articles/:id', page: ArticleEditor },
  { path: '/kb/import', page: ImportPage, minRole: 'admin' },
  { path: '/try', page: TryPage },
  { path: '/analytics', page: AnalyticsPage, minRole: 'admin' },
  { path: '/calibration', page: CalibrationPage, minRole: 'admin' },
  { path: '/knowledge-gaps', page: GapsPage, minRole: 'admin' },
  { path: '/settings/*', page: SettingsPage, minRole: 'admin' },
]

/** The app: one query client, the router under /app/, and every feature's pages composed here. */
export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter basename="/app">
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route element={<Shell />}>
              {PAGES.map(({ path, page: Page, minRole }) => (
                <Route
                  key={path}
                  path={path}
                  element={
                    <RequireAuth minRole={minRole}>
                      <Page />
                    </RequireAuth>
                  }
                />
              ))}
              <Route path="*" element={<ComingSoon title="Page not found" />} />
            </Route>
          </Routes>
        </Suspense>
      </BrowserRouter>
    </QueryClientProvider>
  )
}
