import { QueryClientProvider } from '@tanstack/react-query'
import { lazy, Suspense } from 'react'
import { BrowserRouter, Route, Routes } from 'react-router'
import { Loading } from '../components/ui.tsx'
import { SignInPage } from '../features/auth/components/SignInPage.tsx'
import { ImportPage } from '../features/knowledge/components/ImportPage.tsx'
import { KbListPage } from '../features/knowledge/components/KbListPage.tsx'
import { TryPage } from '../features/knowledge/components/TryPage.tsx'
import { QueuePage } from '../features/review/components/QueuePage.tsx'
import { TicketPage } from '../features/review/components/TicketPage.tsx'
import { queryClient } from '../lib/query.ts'
import { ComingSoon } from './ComingSoon.tsx'
import { RequireAuth } from './RequireAuth.tsx'
import { Shell } from './Shell.tsx'

// Pages with large libraries (Markdown, charts) load when first opened, so the queue is usable sooner.
const ArticleEditor = lazy(() =>
  import('../features/knowledge/components/ArticleEditor.tsx').then((m) => ({ default: m.ArticleEditor })),
)

/** The app: one query client, the router under /app/, and every feature's pages composed here. */
export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter basename="/app">
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route element={<Shell />}>
              <Route
                path="/"
                element={
                  <RequireAuth>
                    <QueuePage />
                  </RequireAuth>
                }
              />
              <Route
                path="/tickets/:id"
                element={
                  <RequireAuth>
                    <TicketPage />
                  </RequireAuth>
                }
              />
              <Route
                path="/kb"
                element={
                  <RequireAuth>
                    <KbListPage />
                  </RequireAuth>
                }
              />
              <Route
                path="/kb/new"
                element={
                  <RequireAuth>
                    <ArticleEditor />
                  </RequireAuth>
                }
              />
              <Route
                path="/kb/articles/:id"
                element={
                  <RequireAuth>
                    <ArticleEditor />
                  </RequireAuth>
                }
              />
              <Route
                path="/kb/import"
                element={
                  <RequireAuth minRole="admin">
                    <ImportPage />
                  </RequireAuth>
                }
              />
              <Route
                path="/try"
                element={
                  <RequireAuth>
                    <TryPage />
                  </RequireAuth>
                }
              />
              <Route path="/settings/*" element={<RequireAuth minRole="admin">{null}</RequireAuth>} />
              <Route path="*" element={<ComingSoon title="Page not found" />} />
            </Route>
          </Routes>
        </Suspense>
      </BrowserRouter>
    </QueryClientProvider>
  )
}
