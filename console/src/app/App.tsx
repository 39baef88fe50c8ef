import { QueryClientProvider } from '@tanstack/react-query'
import { BrowserRouter, Route, Routes } from 'react-router'
import { SignInPage } from '../features/auth/components/SignInPage.tsx'
import { QueuePage } from '../features/review/components/QueuePage.tsx'
import { TicketPage } from '../features/review/components/TicketPage.tsx'
import { queryClient } from '../lib/query.ts'
import { ComingSoon } from './ComingSoon.tsx'
import { RequireAuth } from './RequireAuth.tsx'
import { Shell } from './Shell.tsx'

/** The app: one query client, the router under /app/, and every feature's pages composed here. */
export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter basename="/app">
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
            <Route path="/settings/*" element={<RequireAuth role="admin">{null}</RequireAuth>} />
            <Route path="*" element={<ComingSoon title="Page not found" />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  )
}
