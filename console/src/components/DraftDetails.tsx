import { Link } from 'react-router'
import { COMPONENT, confidenceWords, REASON, SOURCE_KIND } from '../lib/words.ts'

/** Why a draft (stored or previewed) went to a person, in words. */
export function EscalationReasons({
  reasons,
}: {
  reasons: readonly { code: string; category?: string; detail?: string }[]
}) {
  return (
    <div className="notice" style={{ background: 'var(--warn-bg)', borderColor: '#f5c77e' }}>
      <strong>Escalated to a person.</strong>
      <ul aria-label="Escalation reasons">
        {reasons.map((r) => (
          <li key={`${r.code}-${r.category ?? ''}-${r.detail ?? ''}`}>
            {REASON[r.code] ?? r.code}
            {r.category ? ` (${r.category})` : ''}
            {r.detail ? `: ${r.detail}` : ''}
          </li>
        ))}
      </ul>
    </div>
  )
}

/** The confidence and each term that moved it, with its explanation. */
export function ConfidenceDetails({
  score,
  breakdown,
}: {
  score: number
  breakdown: readonly { component: string; points: number; detail: string }[]
}) {
  const rounded = Math.round(score)
  return (
    <>
      <h3>
        Confidence {rounded} of 100 <span className="muted">({confidenceWords(rounded)})</span>
      </h3>
      <ul aria-label="Confidence components">
        {breakdown
          .filter((c) => c.points !== 0)
          .map((c) => (
            <li key={c.component}>
              <strong>{COMPONENT[c.component] ?? c.component}</strong> {c.points > 0 ? '+' : ''}
              {Math.round(c.points)}: {c.detail}
            </li>
          ))}
      </ul>
    </>
  )
}

interface Source {
  ref: number
  articleId: number | null
  title: string | null
  sourceKind: string
  score: number | null
  cited: boolean
  excerpt: string
}

/** The passages the drafter was shown, each with its kind, score and a link to its article. */
export function SourceList({ sources }: { sources: readonly Source[] }) {
  if (sources.length === 0) return <p className="muted">No knowledge source was shown to the drafter.</p>
  return (
    <>
      <h3>Sources</h3>
      <ol className="sources" aria-label="Sources">
        {sources.map((s) => (
          <li key={s.ref} id={`source-${s.ref}`} value={s.ref}>
            <strong>{s.title ?? SOURCE_KIND[s.sourceKind] ?? 'Source'}</strong>{' '}
            <span className="muted">
              {SOURCE_KIND[s.sourceKind] ?? s.sourceKind} · score{' '}
              {s.score === null ? '—' : s.score.toFixed(2)}
            </span>{' '}
            {s.cited ? <span className="badge ok">cited</span> : <span className="badge">not cited</span>}{' '}
            {s.articleId !== null && <Link to={`/kb/articles/${s.articleId}`}>Open article</Link>}
            <div className="excerpt">{s.excerpt}</div>
          </li>
        ))}
      </ol>
    </>
  )
}
