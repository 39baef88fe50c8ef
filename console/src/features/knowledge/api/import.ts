import { useState } from 'react'
import { ApiError, call, errorText } from '../../../lib/api.ts'
import { useRefreshArticles } from './articles.ts'

/** One file's outcome, as `npm run kb:import` prints it. */
export interface FileResult {
  name: string
  state: 'waiting' | 'sending' | 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed'
  message?: string
  articleId?: number
  title?: string
  /** For created and updated articles: indexing, indexed, or not indexed (with the reason). */
  index?: 'indexing' | 'indexed' | 'not indexed'
}

const MARKDOWN = /\.(md|markdown)$/i
const POLL_MS = 1_500
const POLL_GIVE_UP_MS = 180_000

/**
 * Imports Markdown files with front matter (`title`, `category`, `tags`) through `POST /kb/import`, one file
 * per request so each gets its own result (a file without a title is skipped with the reason, the rest
 * go in), then follows indexing of the new and changed articles, as the CLI's `--wait` does.
 */
export function useImport() {
  const refresh = useRefreshArticles()
  const [results, setResults] = useState<FileResult[]>([])
  const [running, setRunning] = useState(false)
  const update = (i: number, patch: Partial<FileResult>) =>
    setResults((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)))

  const run = async (files: File[]) => {
    setRunning(true)
    const list: FileResult[] = files.map((f) => ({ name: f.name, state: 'waiting' }))
    setResults(list)
    for (const [i, file] of files.entries()) {
      if (!MARKDOWN.test(file.name)) {
        list[i] = { ...list[i]!, state: 'skipped', message: 'not a Markdown file (.md)' }
        update(i, list[i]!)
        continue
      }
      update(i, { state: 'sending' })
      try {
        const reply = await call('POST /kb/import', {
          body: { markdown: [{ filename: file.name, text: await file.text() }] },
        })
        const item = reply.items[0]!
        list[i] = { ...list[i]!, state: item.status, articleId: item.id, title: item.title }
        if (item.status !== 'unchanged') list[i]!.index = 'indexing'
      } catch (error) {
        const skipped = error instanceof ApiError && error.status === 400
        list[i] = { ...list[i]!, state: skipped ? 'skipped' : 'failed', message: errorText(error) }
      }
      update(i, list[i]!)
    }
    await refresh()
    await followIndexing(list, update)
    await refresh()
    setRunning(false)
  }
  const done = results.filter((r) => !['waiting', 'sending'].includes(r.state)).length
  return { run, results, running, done }
}

async function followIndexing(list: FileResult[], update: (i: number, patch: Partial<FileResult>) => void) {
  const started = Date.now()
  while (Date.now() - started < POLL_GIVE_UP_MS) {
    const open = list.map((r, i) => [r, i] as const).filter(([r]) => r.index === 'indexing')
    if (open.length === 0) return
    await new Promise((ok) => setTimeout(ok, POLL_MS))
    for (const [r, i] of open) {
      const a = await call('GET /kb/articles/{id}', { params: { id: r.articleId! } }).catch(() => null)
      if (a?.isIndexed) list[i] = { ...r, index: 'indexed' }
      else if (a?.indexError) list[i] = { ...r, index: 'not indexed', message: a.indexError }
      else continue
      update(i, list[i]!)
    }
  }
}
