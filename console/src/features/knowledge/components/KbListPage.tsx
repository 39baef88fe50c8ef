import { useState } from 'react'
import { Link } from 'react-router'
import { ColumnHeads, ErrorNote, Field, Loading, PageHeader } from '../../../components/ui.tsx'
import { formatDateTime } from '../../../lib/format.ts'
import { hasRole, useSession } from '../../../lib/session.ts'
import { CATEGORIES, useArticles } from '../api/articles.ts'
import { IndexState } from './IndexState.tsx'

/** The knowledge base: search, filter by category, each article with its index state. */
export function KbListPage() {
  const admin = hasRole(useSession(), 'admin')
  const [q, setQ] = useState('')
  const [category, setCategory] = useState('')
  const articles = useArticles({ q, category })
  const items = articles.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <section>
      <PageHeader title="Knowledge base">
        <Link to="/kb/new" className="button-link">
          New article
        </Link>
        {admin && (
          <Link to="/kb/import" className="button-link">
            Import files
          </Link>
        )}
        <Link to="/try" className="button-link">
          Try a question
        </Link>
      </PageHeader>
      <search className="filters">
        <Field label="Search titles and text">
          {(p) => <input {...p} type="search" value={q} onChange={(e) => setQ(e.target.value)} />}
        </Field>
        <Field label="Category">
          {(p) => (
            <select {...p} value={category} onChange={(e) => setCategory(e.target.value)}>
              <option value="">All</option>
              {CATEGORIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          )}
        </Field>
      </search>
      <ErrorNote error={articles.error} prefix="The articles could not be loaded" />
      {articles.isPending ? (
        <Loading what="Loading articles" />
      ) : items.length === 0 ? (
        <p className="notice">No article matches. Create one or import Markdown files.</p>
      ) : (
        <table aria-label="Articles">
          <ColumnHeads names={['Title', 'Category', 'Tags', 'Index', 'Updated']} />
          <tbody>
            {items.map((a) => (
              <tr key={a.id}>
                <td>
                  <Link to={`/kb/articles/${a.id}`}>{a.title}</Link>{' '}
                  {a.global && <span className="badge">Shared</span>}
                </td>
                <td>{a.category}</td>
                <td>{a.tags.join(', ')}</td>
                <td>
                  <IndexState article={a} />
                </td>
                <td>{formatDateTime(a.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {articles.hasNextPage && (
        <button type="button" onClick={() => articles.fetchNextPage()} disabled={articles.isFetchingNextPage}>
          Load more
        </button>
      )}
    </section>
  )
}
