import { type DragEvent, useState } from 'react'
import { Link } from 'react-router'
import { PageHeader } from '../../../components/ui.tsx'
import { type FileResult, useImport } from '../api/import.ts'

const STATE: Record<FileResult['state'], string> = {
  waiting: 'waiting',
  sending: 'importing…',
  created: 'created',
  updated: 'updated',
  unchanged: 'unchanged',
  skipped: 'skipped',
  failed: 'failed',
}

/**
 * Import Markdown files with front matter (`title`, `category`, `tags`) by dropping them here or choosing
 * them: a progress bar, then each file's result and whether it was indexed, as `npm run kb:import` prints.
 */
export function ImportPage() {
  const { run, results, running, done } = useImport()
  const [over, setOver] = useState(false)
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setOver(false)
    if (!running) run([...e.dataTransfer.files])
  }
  const totals = (s: FileResult['state']) => results.filter((r) => r.state === s).length
  return (
    <section>
      <p>
        <Link to="/kb">← Knowledge base</Link>
      </p>
      <PageHeader title="Import articles" />
      <p>
        Markdown files with front matter, as <code>npm run kb:import</code> reads them. Importing the same
        file again changes nothing; an edited file updates its article (matched by title).
      </p>
      <pre className="code">
        {
          '---\ntitle: Reset your cPanel password\ncategory: faq\ntags: [cpanel, password]\n---\nOpen the client area, choose Services, then Login to cPanel.'
        }
      </pre>
      <section
        aria-label="Drop files to import"
        className={`dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault()
          setOver(true)
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop .md files here, or</p>
        <label className="button-link">
          Choose files
          <input
            type="file"
            accept=".md,.markdown,text/markdown"
            multiple
            disabled={running}
            className="visually-hidden"
            onChange={(e) => e.target.files && run([...e.target.files])}
          />
        </label>
      </section>
      {results.length > 0 && (
        <>
          <progress max={results.length} value={done} aria-label="Import progress" />
          <p role="status">
            {done} of {results.length} files: {totals('created')} created, {totals('updated')} updated,{' '}
            {totals('unchanged')} unchanged, {totals('skipped') + totals('failed')} not imported
            {!running && done === results.length ? '. Done.' : ''}
          </p>
          <ul aria-label="Import results">
            {results.map((r) => (
              <li key={r.name}>
                <strong>{r.name}</strong>: {STATE[r.state]}
                {r.title && r.articleId && (
                  <>
                    {' '}
                    as <Link to={`/kb/articles/${r.articleId}`}>{r.title}</Link>
                  </>
                )}
                {r.index ? `, ${r.index}` : ''}
                {r.message ? ` (${r.message})` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
