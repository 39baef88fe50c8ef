import { type FormEvent, useEffect, useState } from 'react'
import { Link, useLocation, useNavigate, useParams } from 'react-router'
import { ErrorNote, Field, Loading, Notice, PageHeader } from '../../../components/ui.tsx'
import { ApiError } from '../../../lib/api.ts'
import { hasRole, useSession } from '../../../lib/session.ts'
import {
  type Article,
  CATEGORIES,
  type Category,
  useArticle,
  useDeleteArticle,
  useSaveArticle,
} from '../api/articles.ts'
import { IndexState } from './IndexState.tsx'
import { MarkdownPreview } from './MarkdownPreview.tsx'

interface Form {
  title: string
  category: Category
  tags: string
  publicUrl: string
  isActive: boolean
  content: string
}

const EMPTY: Form = { title: '', category: 'faq', tags: '', publicUrl: '', isActive: true, content: '' }
const formOf = (a: Article): Form => ({
  title: a.title,
  category: a.category,
  tags: a.tags.join(', '),
  publicUrl: a.publicUrl ?? '',
  isActive: a.isActive,
  content: a.content,
})

/** What a page may hand the new-article editor to start from (Knowledge gaps' suggested article). */
interface Prefill {
  suggestion?: { title: string; content: string; category: Form['category']; tags: string[] }
}

/** A new article's form: empty, or the suggestion it was opened with (nothing is saved until *Save*). */
function initialForm(prefill: unknown): Form {
  const s = (prefill as Prefill | null)?.suggestion
  return s
    ? { ...EMPTY, title: s.title, content: s.content, category: s.category, tags: s.tags.join(', ') }
    : EMPTY
}

/** Create or edit an article: Markdown with a live preview; *Save*, and *Delete* for admins. */
export function ArticleEditor() {
  const param = useParams().id
  const id = param ? Number(param) : null
  const article = useArticle(id)
  if (id !== null && article.isPending) return <Loading what="Loading the article" />
  if (id !== null && !article.data)
    return <ErrorNote error={article.error} prefix="The article could not be loaded" />
  return <EditorForm key={id ?? 'new'} id={id} article={article.data} />
}

function EditorForm({ id, article }: { id: number | null; article: Article | undefined }) {
  const navigate = useNavigate()
  const admin = hasRole(useSession(), 'admin')
  const save = useSaveArticle(id)
  const prefill = useLocation().state
  // The form keeps what was typed whatever the API answers: a failed save loses nothing.
  const [form, setForm] = useState<Form>(() => (article ? formOf(article) : initialForm(prefill)))
  const set: Setter = (key, value) => setForm((f) => ({ ...f, [key]: value }))
  const fieldError = (path: string) =>
    save.error instanceof ApiError ? save.error.fieldMessage(path) : undefined
  useEffect(() => {
    if (save.data && id === null) navigate(`/kb/articles/${save.data.id}`, { replace: true })
  }, [save.data, id, navigate])

  const submit = (e: FormEvent) => {
    e.preventDefault()
    save.mutate({
      title: form.title,
      category: form.category,
      tags: form.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      publicUrl: form.publicUrl.trim() || null,
      isActive: form.isActive,
      content: form.content,
    })
  }
  // The loaded article polls while it is indexed; right after creating one, the save's answer stands in.
  const current = article ?? save.data
  return (
    <section>
      <p>
        <Link to="/kb">← Knowledge base</Link>
      </p>
      <PageHeader title={id === null ? 'New article' : `Edit: ${article?.title ?? ''}`}>
        {current && <IndexState article={current} />}
      </PageHeader>
      <form onSubmit={submit} aria-label="Article">
        <ArticleFields form={form} set={set} fieldError={fieldError} />
        <div className="grid-2">
          <Field label="Content (Markdown)" error={fieldError('content')}>
            {(p) => (
              <textarea
                {...p}
                value={form.content}
                onChange={(e) => set('content', e.target.value)}
                rows={18}
                required
              />
            )}
          </Field>
          <div>
            <h2 style={{ marginTop: 0, fontSize: '0.9rem' }}>Preview</h2>
            <MarkdownPreview markdown={form.content} />
          </div>
        </div>
        <ErrorNote error={save.error} prefix="Not saved" />
        {save.isSuccess && (
          <Notice>Saved. Indexing starts now; the state above updates when it is done.</Notice>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
          {admin && id !== null && <DeleteButton id={id} />}
        </div>
      </form>
    </section>
  )
}

type Setter = <K extends keyof Form>(key: K, value: Form[K]) => void

function ArticleFields(props: { form: Form; set: Setter; fieldError: (path: string) => string | undefined }) {
  const { form, set, fieldError } = props
  return (
    <>
      <div className="grid-2">
        <Field label="Title" error={fieldError('title')}>
          {(p) => (
            <input
              {...p}
              value={form.title}
              onChange={(e) => set('title', e.target.value)}
              required
              maxLength={500}
            />
          )}
        </Field>
        <Field label="Category" error={fieldError('category')}>
          {(p) => (
            <select
              {...p}
              value={form.category}
              onChange={(e) => set('category', e.target.value as Category)}
            >
              {CATEGORIES.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Tags" hint="Comma-separated, e.g. dns, nameservers" error={fieldError('tags')}>
          {(p) => <input {...p} value={form.tags} onChange={(e) => set('tags', e.target.value)} />}
        </Field>
        <Field
          label="Public URL"
          hint="Listed under References in replies customers get"
          error={fieldError('publicUrl')}
        >
          {(p) => (
            <input
              {...p}
              type="url"
              value={form.publicUrl}
              onChange={(e) => set('publicUrl', e.target.value)}
            />
          )}
        </Field>
      </div>
      <label>
        <input type="checkbox" checked={form.isActive} onChange={(e) => set('isActive', e.target.checked)} />{' '}
        Active (drafts may use it)
      </label>
    </>
  )
}

/** *Delete…*, then *Delete for good*: an article's chunks are archived at once. */
function DeleteButton({ id }: { id: number }) {
  const navigate = useNavigate()
  const remove = useDeleteArticle()
  const [confirm, setConfirm] = useState(false)
  return (
    <>
      {confirm ? (
        <button
          type="button"
          className="danger"
          onClick={() => remove.mutate(id, { onSuccess: () => navigate('/kb') })}
        >
          Delete for good
        </button>
      ) : (
        <button type="button" className="danger" onClick={() => setConfirm(true)}>
          Delete…
        </button>
      )}
      <ErrorNote error={remove.error} prefix="Not deleted" />
    </>
  )
}
